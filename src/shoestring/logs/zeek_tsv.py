"""Zeek's ASCII log format: the #-header, tab-separated records, Zeek's escaping.

Each schema's fields are classified once (LineFormatter), because conn.log may be
written at hundreds of thousands of records a second.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import IO, Any, Final

from .schema import LogSchema

# Final: compiled, these are C constants rather than a module-dict look-up per field.
SEPARATOR: Final = "\t"
SET_SEPARATOR: Final = ","
EMPTY_FIELD: Final = "(empty)"
UNSET_FIELD: Final = "-"

# Bytes Zeek writes as \xNN inside a string field: controls, DEL and the separator.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
# A literal backslash is doubled, so that "\x41" in the data cannot be read back as "A".
_ESCAPE_TABLE = str.maketrans({**{chr(c): e for c, e in _ESCAPES.items()}, "\\": "\\\\"})
_SET_ESCAPE_TABLE = str.maketrans({**{chr(c): e for c, e in _ESCAPES.items()},
                                   "\\": "\\\\", SET_SEPARATOR: "\\x2c"})


def escape_text(value: str | bytes, in_container: bool = False) -> str:
    """A string field as Zeek's ASCII writer renders it.

    Bytes that are not valid UTF-8 come out as \\xNN (Zeek logs the raw bytes it saw;
    we hold them as str with surrogateescape, or as bytes)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    if not value:
        return EMPTY_FIELD
    if value == UNSET_FIELD:
        return "\\x2d"
    # The common case, nothing to escape. isprintable() is False for everything the
    # slow path rewrites but the backslash (controls, DEL, C1 controls, surrogates), and
    # the slow path leaves printable non-ASCII text as it is.
    if value.isprintable() and "\\" not in value and \
            not (in_container and SET_SEPARATOR in value):
        return value
    text = value.translate(_SET_ESCAPE_TABLE if in_container else _ESCAPE_TABLE)
    if not text.isascii():
        text = _escape_surrogates(text)
    return text


def _escape_surrogates(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:            # an undecodable byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0x80 <= code <= 0x9F:              # C1 controls
            out.append("".join(f"\\x{b:02x}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


# What a field needs to become text: its kind, found once per schema field.
_TEXT: Final = 0
_TIME: Final = 1
_BOOL: Final = 2
_PLAIN: Final = 3
_CONTAINER: Final = 4


def _scalar_kind(zeek_type: str) -> int:
    if zeek_type in ("time", "interval", "double"):
        return _TIME
    if zeek_type == "bool":
        return _BOOL
    if zeek_type in ("string", "enum"):
        return _TEXT
    return _PLAIN


#: Below this, a time's microseconds (value * 1e6) are under 2**52, where a double's
#: spacing is at most 0.5 -- what _format_time's shortcut needs. 4e9 s is the year 2096.
_FAST_TIME_LIMIT: Final = 4e9


def _format_time(value: Any) -> str:
    """f"{value:.6f}": Zeek's times, intervals and doubles.

    Python's float formatting (correctly rounded, ties to even) costs several times
    what this integer rendering does, and every log has a time. The shortcut is exact:
    value * 1e6 is off the true product by at most half the spacing u of doubles
    there, and u <= 0.5 divides 0.5, so unless the rounded product ends in exactly .5
    (then the lost bits or a tie decide: the formatter is asked), the true product
    rounds to the same whole number of microseconds as the computed one."""
    if isinstance(value, float):
        x: float = value
        if 0.0 < x < _FAST_TIME_LIMIT:
            scaled = x * 1e6
            micros = int(scaled)
            frac = scaled - micros
            if frac != 0.5:
                if frac > 0.5:
                    micros += 1
                digits = str(micros)
                if len(digits) <= 6:
                    digits = "0" * (7 - len(digits)) + digits
                return f"{digits[:-6]}.{digits[-6:]}"     # one string built, not two
    return f"{value:.6f}"


def _format_scalar(kind: int, value: Any) -> str:
    """One set value (not None) of a scalar field or container element."""
    if kind == _TEXT:
        return escape_text(value)
    if kind == _TIME:
        return _format_time(value)
    if kind == _BOOL:
        return "T" if value else "F"
    return str(value)


def _container_formatter(element_type: str, ordered: bool) -> Callable[[Any], str]:
    kind = _scalar_kind(element_type)
    is_text = kind == _TEXT

    def fmt(values: Iterable) -> str:
        # A loop into a list rather than join over a generator: compiled, a generator
        # is an object with a resumable frame, built per container.
        out: list[str] = []
        for v in (values if ordered else sorted(values, key=str)):
            if is_text:
                out.append(escape_text(v, True) if v != "" else EMPTY_FIELD)
            else:
                out.append(UNSET_FIELD if v is None else _format_scalar(kind, v))
        return SET_SEPARATOR.join(out) if out else EMPTY_FIELD

    return fmt


def header(schema: LogSchema, opened: float) -> str:
    return "".join((
        "#separator \\x09\n",
        f"#set_separator{SEPARATOR}{SET_SEPARATOR}\n",
        f"#empty_field{SEPARATOR}{EMPTY_FIELD}\n",
        f"#unset_field{SEPARATOR}{UNSET_FIELD}\n",
        f"#path{SEPARATOR}{schema.path}\n",
        f"#open{SEPARATOR}{format_stamp(opened)}\n",
        f"#fields{SEPARATOR}{SEPARATOR.join(schema.names)}\n",
        f"#types{SEPARATOR}{SEPARATOR.join(schema.types)}\n",
    ))


def format_stamp(when: float) -> str:
    """Zeek's #open/#close stamp: local-free UTC, 2026-11-28-10-00-00."""
    return time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(when))


class LineFormatter:
    """Renders a record of one schema as a whole line.

    A loop over the schema's fields with a switch per field: in the compiled build
    (setup.py) the loop, the dict look-ups and the switch run as C, which made this
    cheaper than the per-schema Python function it replaced (that one was generated
    with exec, so it never left the interpreter)."""

    def __init__(self, schema: LogSchema):
        self.names: list[str] = []
        self.kinds: list[int] = []
        self.containers: list[Callable[[Any], str] | None] = []
        for field in schema.fields:
            # Interned like the records' keys (string literals), so that each look-up
            # matches by identity instead of comparing the characters.
            self.names.append(sys.intern(field.name))
            if field.container:
                self.kinds.append(_CONTAINER)
                self.containers.append(_container_formatter(field.element_type,
                                                            field.container == "vector"))
            else:
                self.kinds.append(_scalar_kind(field.type))
                self.containers.append(None)

    def __call__(self, record: dict[str, Any]) -> str:
        names = self.names
        kinds = self.kinds
        # Sized once and filled in place: appending regrew the list a few times a line.
        parts = [UNSET_FIELD] * len(names)
        for i in range(len(names)):
            value = record.get(names[i])
            if value is None:
                continue
            kind = kinds[i]
            if kind != _CONTAINER:
                parts[i] = _format_scalar(kind, value)
            else:
                container = self.containers[i]
                assert container is not None
                parts[i] = container(value)
        return SEPARATOR.join(parts) + "\n"


class TsvFormat:
    """Renders records of one schema as Zeek ASCII lines."""

    suffix = ".log"

    def __init__(self, schema: LogSchema):
        self.schema = schema
        self.line: Callable[[dict], str] = LineFormatter(schema)

    def header(self, opened: float) -> str:
        return header(self.schema, opened)

    def footer(self, closed: float) -> str:
        return f"#close{SEPARATOR}{format_stamp(closed)}\n"


def write_log(out: IO[str], schema: LogSchema, records: Iterable[dict],
              opened: float, closed: float) -> None:
    """Write a whole log (used by tests and small exports)."""
    fmt = TsvFormat(schema)
    out.write(fmt.header(opened))
    for record in records:
        out.write(fmt.line(record))
    out.write(fmt.footer(closed))
