class ImportExportError(Exception):
    """Import or export cannot go on; the message is one line for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
