"""Errors of the capture layer."""

from ..errors import InputError, UserError


class NotACapture(UserError):
    """The file is not a pcap/pcapng capture (exit 2: the user named the wrong file)."""


class UnsupportedLinkType(UserError):
    """A link type the decoder cannot read."""


class TruncatedCapture(InputError):
    """The capture ends or breaks mid-record: what came before it was read (exit 1)."""
