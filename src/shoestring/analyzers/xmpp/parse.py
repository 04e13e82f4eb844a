"""Sans-IO XMPP tokenizing: the names of the XML tags in a stream, as Zeek reads them
(xmpp-protocol.pac: "<" name rest ">", with no XML parser underneath)."""

from __future__ import annotations

import re
from typing import Final

from . import consts as C


class XmppParseError(ValueError):
    """Bytes that cannot be an XMPP tag."""


# Zeek's XML_NAME: an optional "/", then letters, digits, "?" and ":".
_NAME: Final = re.compile(rb"/?[?:A-Za-z0-9]+")
_SIGNATURE: Final = re.compile(rb"^(<\?xml[^?>]*\?>)?[\n\r ]*<stream:stream [^>]*xmlns=['\"]jabber:")


def parse_tag(buf: bytes | bytearray, offset: int = 0) -> tuple[str | None, int] | None:
    """The next complete tag at or after ``offset`` (text before it is skipped): its name
    ("stream:stream", "/starttls", None when it has none) and the offset after its ">".
    None while no tag is complete; a tag open for more than MAX_TAG bytes raises."""
    lt = buf.find(b"<", offset)
    if lt < 0:
        return None
    gt = buf.find(b">", lt + 1, lt + 1 + C.MAX_TAG)
    if gt < 0:
        if len(buf) - lt > C.MAX_TAG:
            raise XmppParseError(f"tag open for more than {C.MAX_TAG} bytes")
        return None
    m = _NAME.match(buf, lt + 1, gt)
    return (m.group().decode("ascii") if m is not None else None), gt + 1


def looks_like_xmpp(data: bytes, is_orig: bool) -> bool:
    """Zeek's dpd_xmpp: an optional XML declaration, then a stream header in a jabber
    namespace."""
    return _SIGNATURE.match(data) is not None
