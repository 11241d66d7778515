"""Side-by-side benchmark of devpi-django and devpi-server (``make bench``).

Run ``python -m bench --help``; ``bench/README.md`` says what each figure means.
"""
