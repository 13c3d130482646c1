"""Errors that carry a message meant for a person, not a traceback."""


class UserError(Exception):
    """Bad input or an unusable setting; the message is one plain line."""


class SettingsError(UserError):
    """A setting (environment variable or secrets.toml) is invalid."""


class DatabaseUnavailable(UserError):
    """The database cannot be reached or the URL is malformed."""


class AccessDenied(UserError):
    """The actor may not do this: wrong role, wrong agency or not the owner."""


class NotFound(UserError):
    """The thing asked for does not exist (or is not visible to the actor)."""
