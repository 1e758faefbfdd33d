"""The base of every error whose message is meant for the user."""


class TempoError(ValueError):
    """Bad input or settings: the message says what is wrong in one line."""
