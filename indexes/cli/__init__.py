"""The logic behind ``manage.py devpi <verb>`` that is more than one call to a
service: the current index, key=value arguments, listings, removal plans,
uploads from a directory, ``.pypirc`` files and tox runs.

Plain functions over models, services and selectors; the command module
only parses arguments and writes lines.
"""
