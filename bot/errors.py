"""Errors that end the program with one line for the operator instead of a traceback."""


class StartupError(Exception):
    """Start-up cannot go on; the message is one line naming what to fix (exit code 2)."""
