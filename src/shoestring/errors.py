"""The user-facing error: a mistake of the user's gets one clear line and exit 2."""

EXIT_USAGE = 2


class UserError(Exception):
    """A missing file, a bad flag, a store that does not exist: say what to do."""

    exit_code = EXIT_USAGE


class InputError(UserError):
    """Input that is broken after some was read (a capture cut short): exit 1."""

    exit_code = 1
