"""MIME types by content: a table of magic-byte signatures, matched on a file's first bytes.

The table is data: (mime type, strength, pattern), taken from Zeek's file-magic
signatures (base/frameworks/files/magic/*.sig) so that files.log and http.log name the
same types Zeek does. Every pattern is anchored at the start of the file, as Zeek's
signature patterns are; the strongest match wins, ties go to the earlier row.
Zeek's POSIX classes are spelled out: [:space:] = \\t\\n\\v\\f\\r and space,
[:blank:] = space and tab, [:print:] = \\x20-\\x7e.
"""

from __future__ import annotations

import re
from typing import Final

#: Bytes of a file's beginning that sniffing looks at (Zeek's default_file_bof_buffer_size).
BOF_SIZE: Final = 4096

_WS = rb"[\r\n \t]"                       # [\x0d\x0a[:blank:]]
# Blanks and comments before markup. This table had (blank*(<!--.*?-->)?blank*)* around an
# optional <?xml ...?>; the same language is written here so that a backtracking engine
# has one way to read a run of blanks: blank* (<!--.*-->blank*)? (one comment may span
# the others and the blanks between them), and "L (xmldecl)? L" as "L (xmldecl L)?".
# With the nested stars a run of n blanks splits 2^n ways whenever nothing matches after
# it: ten leading spaces took 1.4 s per file, twenty would hang the sensor. sniff() does
# not run these prefixes as regexes at all (_prefix_ends); they stay here as the table's
# meaning.
_SKIP = _WS + rb"*(?:<!--.*?-->" + _WS + rb"*)?"
_LEAD = rb"(?:\xef\xbb\xbf)?" + _SKIP
_PRE = _LEAD + rb"(?:<\?xml .*?\?>" + _SKIP + rb")?"
_SHEBANG = rb"#![^\n]{1,15}bin/(?:env\s+)?"

SIGNATURES: tuple[tuple[str, int, bytes], ...] = (
    # --- text (general.sig) ---
    ("text/plain", -20, rb"(?:\xef\xbb\xbf|(?:\x00\x00)?\xfe\xff|\xff\xfe(?:\x00\x00)?)?[\t\n\x0b\x0c\r\x20-\x7e]{10}"),
    ("text/json", 1, rb"(?:\xef\xbb\xbf)?[\r\n \t]*\{[\r\n \t]*(?:\"[^\"]+\"|[a-zA-Z][a-zA-Z0-9\\_]*)[\r\n \t]*:[\r\n \t]*(?:\"|\[|\{|[0-9]|true|false)"),
    ("text/json", 1, rb"(?:\xef\xbb\xbf)?[\r\n \t]*\[[\r\n \t]*(?:(?:(?:\"[^\"]+\"|[0-9]+(?:\.[0-9]+)?|true|false)[\r\n \t]*,)|\{|\[)"),
    ("text/json", 0, rb"(?:\xef\xbb\xbf)?[\r\n \t]*(?:\[\]|\{\})[\r\n \t]*$"),
    ("application/xml", 10, _LEAD + rb"<\?xml "),
    ("text/html", 100, _PRE + rb"<(?:![dD][oO][cC][tT][yY][pP][eE] +[hH][tT][mM][lL]|[hH][tT][mM][lL]|[mM][eE][tT][aA] +[hH][tT][tT][pP]-[eE][qQ][uU][iI][vV])"),
    ("text/html", 49, _PRE + rb"<![dD][oO][cC][tT][yY][pP][eE] +[hH][tT][mM][lL]"),
    ("text/html", 20, _PRE + rb"<(?:[hH][eE][aA][dD]|[hH][tT][mM][lL]|[tT][iI][tT][lL][eE]|[bB][oO][dD][yY])"),
    ("text/rss", 90, _PRE + rb"<[rR][sS][sS]"),
    ("text/atom", 100, _PRE + rb"<(?:[rR][sS][sS][^>]*xmlns:atom|[fF][eE][eE][dD][^>]*xmlns=[\"']?http://www.w3.org/2005/Atom[\"']?)"),
    ("application/soap+xml", 49, _PRE + rb"<[sS][oO][aA][pP](?:-[eE][nN][vV])?:[eE][nN][vV][eE][lL][oO][pP][eE]"),
    ("text/x-cross-domain-policy", 49, _PRE + rb"<(?:![dD][oO][cC][tT][yY][pP][eE] +)?[cC][rR][oO][sS][sS]-[dD][oO][mM][aA][iI][nN]-[pP][oO][lL][iI][cC][yY]"),
    ("application/xml-rpc", 49, _PRE + rb"<[mM][eE][tT][hH][oO][dD][rR][eE][sS][pP][oO][nN][sS][eE]>"),
    ("application/f4m", 49, _PRE + rb"<[mM][aA][nN][iI][fF][eE][sS][tT][\r\n \t]+xmlns=\"http://ns\.adobe\.com/f4m/"),
    ("application/x-ms-shortcut", 49, rb"\x4c\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"),
    ("application/java-archive", 100, rb"PK\x03\x04.{1,200}\x14\x00..META-INF/MANIFEST\.MF"),
    ("application/x-java-applet", 71, rb"\xca\xfe\xba\xbe...[\x2d-\x34]"),
    ("application/ocsp-request", 71, rb".{11,19}\x06\x05\x2b\x0e\x03\x02\x1a"),
    ("application/ocsp-response", 71, rb".{11,19}\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x01"),
    ("application/x-shockwave-flash", 60, rb"[FCZ]WS"),
    ("application/vnd.ms-tnef", 100, rb"\x78\x9f\x3e\x22"),
    ("application/x-mach-o-executable", 100, rb"[\xce\xcf]\xfa\xed\xfe"),
    ("application/x-mach-o-executable", 100, rb"\xca\xfe\xba\xbe..\x00[\x01-\x14]"),
    ("application/pkcs7-signature", 100, rb"MIME-Version:.*protocol=\"application/pkcs7-signature\""),
    ("application/x-pem", 0, rb"-----BEGIN CERTIFICATE-----"),
    ("application/x-java-jnlp-file", 100, rb"<jnlp\x20"),
    ("application/vnd.tcpdump.pcap", 70, rb"(?:\xa1\xb2\xc3\xd4|\xd4\xc3\xb2\xa1)"),
    ("application/vnd.tcpdump.pcap", 100, rb"\x0a\x0d\x0d\x0a.{4}(?:\x1a\x2b\x3c\x4d|\x4d\x3c\x2b\x1a)"),
    ("text/x-shellscript", 250, _SHEBANG + rb"(?:ba|tc|c|z|fa|ae|k)?sh"),
    ("text/x-perl", 60, _SHEBANG + rb"perl"),
    ("text/x-ruby", 60, _SHEBANG + rb"ruby"),
    ("text/x-python", 60, _SHEBANG + rb"python"),
    ("text/x-awk", 60, _SHEBANG + rb"[gn]?awk"),
    ("text/x-tcl", 60, _SHEBANG + rb"(?:wish|tcl)"),
    ("text/x-lua", 49, _SHEBANG + rb"lua"),
    ("application/javascript", 60, _SHEBANG + rb"node(?:js)?"),
    ("application/javascript", 60, rb"[\r\n \t]*<[sS][cC][rR][iI][pP][tT][ \t]+(?:[tT][yY][pP][eE]|[lL][aA][nN][gG][uU][aA][gG][eE])=['\"]?(?:[tT][eE][xX][tT]/)?[jJ][aA][vV][aA][sS][cC][rR][iI][pP][tT]"),
    ("application/javascript", 60, rb"[\r\n \t]*for \(;;\);"),
    ("application/javascript", 60, rb"[\r\n \t]*document\.write(?:ln)?[:blank]?\("),
    ("application/javascript", 60, rb"\(function\(\)[ \t\n]*\{"),
    ("application/javascript", 60, rb"[\r\n \t]*<script>[\r\n \t]*(?:var|function) "),
    ("text/x-php", 60, _SHEBANG + rb"php"),
    ("text/x-php", 40, rb".*<\?php"),
    ("application/sla", 10, rb"solid\x20"),
    ("application/x-object", 50, rb"\x7fELF[\x01\x02](?:\x01.{10}\x01\x00|\x02.{10}\x00\x01)"),
    ("application/x-executable", 50, rb"\x7fELF[\x01\x02](?:\x01.{10}\x02\x00|\x02.{10}\x00\x02)"),
    ("application/x-sharedlib", 50, rb"\x7fELF[\x01\x02](?:\x01.{10}\x03\x00|\x02.{10}\x00\x03)"),
    ("application/x-coredump", 50, rb"\x7fELF[\x01\x02](?:\x01.{10}\x04\x00|\x02.{10}\x00\x04)"),
    # --- executables (executable.sig) ---
    ("application/x-dosexec", 51, rb"MZ"),
    # --- documents ---
    ("application/pdf", 80, rb"%PDF-"),
    # --- images (image.sig) ---
    ("image/tiff", 70, rb"(?:MM\x00[\x2a\x2b]|II[\x2a\x2b]\x00)"),
    ("image/gif", 70, rb"GIF8"),
    ("image/jpeg", 52, rb"\xff\xd8"),
    ("image/x-ms-bmp", 50, rb"BM.{12}[\x0c\x28\x40\x6c\x7c\x80]\x00"),
    ("image/x-icon", 70, rb"\x00\x00\x01\x00"),
    ("image/x-cursor", 70, rb"\x00\x00\x02\x00"),
    ("image/vnd.adobe.photoshop", 70, rb"8BPS"),
    ("image/png", 110, rb"\x89PNG"),
    ("image/jp2", 60, rb".{4}ftypjp2"),
    ("image/webp", 70, rb"RIFF.{4}WEBP"),
    ("image/x-xcf", 110, rb"gimp xcf"),
    ("image/vnd.dwg", 90, rb"(?:AC[12]\.|AC10)"),
    # --- archives (archive.sig) ---
    ("application/x-tar", 100, rb"[\x20-\x7e\x00]{100}(?:[0-9\x20]{7}\x00){3}(?:[0-9\x20]{11}\x00){2}[0-9\x00\x20]{7}[\x20\x00][0-7\x00]"),
    ("application/zip", 10, rb"PK\x03\x04.{2}"),
    ("application/zip", 10, rb"PK\x07\x08PK\x03\x04"),
    ("application/x-rar", 70, rb"Rar!"),
    ("application/x-gzip", 100, rb"\x1f\x8b"),
    ("application/vnd.ms-cab-compressed", 110, rb"MSCF\x00\x00\x00\x00"),
    ("application/x-xar", 100, rb"xar!"),
    ("application/x-rpm", 70, rb"(?:drpm|\xed\xab\xee\xdb)"),
    ("application/x-debian-package", 171, rb"!<arch>\ndebian"),
    ("application/x-archive", 70, rb"!?<ar(?:ch)?>"),
    ("application/x-lz4", 70, rb"\x04\x22\x4d\x18"),
    ("application/x-lzip", 70, rb"LZIP"),
    ("application/x-7z-compressed", 50, rb"7z\xbc\xaf\x27\x1c"),
    ("application/x-xz", 90, rb"\xfd7zXZ\x00"),
    ("application/x-arj", 50, rb"\x60\xea"),
    ("application/x-cpio", 50, rb"(?:\xc7\x71|\x71\xc7)"),
    ("application/x-compress", 50, rb"\x1f\x9d"),
    ("application/x-lzma", 71, rb"\x5d\x00\x00"),
    ("application/x-bzip2", 60, rb"BZh"),
    # --- Microsoft Office containers (msoffice.sig, libmagic.sig) ---
    ("application/vnd.ms-office", 70, rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
)

# How a row's pattern starts: plain, or with _LEAD / _PRE (blanks, comments and an
# XML declaration before the first tag). For the last two only the tail is compiled and
# tried where that prefix can end (_prefix_ends): a backtracking engine would try every
# way to read the prefix again for each row, and with hostile floods of comments and
# declarations that is cubic (8 s for one 4 KiB file).
_PLAIN: Final = 0
_AFTER_LEAD: Final = 1
_AFTER_PRE: Final = 2


def _row(mime: str, strength: int, pat: bytes) -> tuple[str, int, int, re.Pattern[bytes]]:
    if pat.startswith(_PRE):                # _PRE starts with _LEAD: test it first
        kind, pat = _AFTER_PRE, pat[len(_PRE):]
    elif pat.startswith(_LEAD):
        kind, pat = _AFTER_LEAD, pat[len(_LEAD):]
    else:
        kind = _PLAIN
    if kind != _PLAIN and not pat.startswith(b"<"):
        # _prefix_ends only keeps ends followed by "<" (where blanks cannot go on).
        raise ValueError(f"{mime}: a markup signature must go on with '<'")
    return mime, strength, kind, re.compile(pat, re.DOTALL)


# Compiled once; DOTALL because binary magic spans bytes that happen to be newlines.
# Ordered strongest first, table order within a strength (sorted() is stable): the first
# pattern that matches is then the strongest, earliest one, so sniffing stops there
# instead of trying every stronger row after a weak match (text/plain matches most
# text at -20, and a PNG or HTML page no longer runs the ~80 weaker patterns).
_BY_STRENGTH: Final = tuple(sorted((_row(mime, strength, pat)
                                    for mime, strength, pat in SIGNATURES),
                                   key=lambda row: -row[1]))

_BOM: Final = b"\xef\xbb\xbf"


def _blank_end(head: bytes, i: int) -> int:
    n = len(head)
    while i < n and head[i] in b"\r\n \t":
        i += 1
    return i


def _skip_ends(head: bytes, starts: list[int], ends: set[int]) -> None:
    """Add to ``ends`` where _SKIP (blanks, then maybe a comment and blanks) can end
    when it starts at one of ``starts``, keeping only ends after a whole run of blanks
    (what follows starts with "<"). A comment opened at c can close at any "-->" from
    c + 4 on (it may span others), so the earliest opening covers them all."""
    first_open = -1
    for a in starts:
        b = _blank_end(head, a)
        ends.add(b)
        if head.startswith(b"<!--", b) and (first_open < 0 or b < first_open):
            first_open = b
    if first_open >= 0:
        i = head.find(b"-->", first_open + 4)
        while i >= 0:
            ends.add(_blank_end(head, i + 3))
            i = head.find(b"-->", i + 1)


def _prefix_ends(head: bytes) -> tuple[list[int], list[int]]:
    """Where _LEAD and _PRE can end in ``head`` (before a "<"): each set is found once,
    in one pass per kind of token, instead of by backtracking."""
    if not head.startswith(_BOM):
        # Most files: no comment or XML declaration first, so both prefixes can only
        # end after the leading blanks (what _skip_ends and the declaration step would
        # find, without their sets and sorting; this runs for every sniffed file).
        b = _blank_end(head, 0)
        if not head.startswith(b"<!--", b) and not head.startswith(b"<?xml ", b):
            return ([b], [b]) if head.startswith(b"<", b) else ([], [])
    lead: set[int] = set()
    _skip_ends(head, [0, 3] if head.startswith(_BOM) else [0], lead)
    pre = set(lead)
    decl = [p for p in lead if head.startswith(b"<?xml ", p)]
    if decl:
        # "<?xml .*?\?>": any "?>" from the earliest declaration's text on ends one.
        after: list[int] = []
        i = head.find(b"?>", min(decl) + 6)
        while i >= 0:
            after.append(i + 2)
            i = head.find(b"?>", i + 1)
        _skip_ends(head, after, pre)
    return ([p for p in sorted(lead) if head.startswith(b"<", p)],
            [p for p in sorted(pre) if head.startswith(b"<", p)])


def sniff(head: bytes) -> str | None:
    """The MIME type of a file whose first bytes are ``head`` (at most BOF_SIZE used),
    or None when no signature matches."""
    head = head[:BOF_SIZE]
    if not head:
        return None
    lead: list[int] | None = None
    pre: list[int] = []
    for mime, _strength, kind, rx in _BY_STRENGTH:
        if kind == _PLAIN:
            if rx.match(head):
                return mime
            continue
        if lead is None:
            lead, pre = _prefix_ends(head)
        for p in (lead if kind == _AFTER_LEAD else pre):
            if rx.match(head, p):
                return mime
    return None
