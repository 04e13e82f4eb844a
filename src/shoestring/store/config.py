"""The store's settings (declared once, as data), its config file and where the store is.

``--store DIR`` resolution: the flag, else ``[store] path`` in the config file
(``$SHOESTRING_CONFIG``, else ``./shoestring.toml``), else ``$SHOESTRING_STORE``, else
``./shoestring-store``. Inside a store, ``shoestring.toml`` holds the settings below; it is
written by ``shoestring init`` with a comment per setting.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import UserError

CONFIG_NAME = "shoestring.toml"
DEFAULT_STORE = "shoestring-store"
CERT_IN_DAYS = 180          # CERT-In Directions 2022 (v): a rolling 180 days
COMPRESSIONS = ("gzip", "zstd")


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


# Declared once: the defaults, the commented config file and the docs come from here.
SETTINGS = (
    Setting("retention_days", CERT_IN_DAYS,
            "Days of logs kept. CERT-In asks for a rolling 180 days; the DPDP Rules (2025) "
            "ask for a year of access logs: set 365. Less than 180 needs "
            "allow_short_retention = true and breaks the CERT-In rule."),
    Setting("allow_short_retention", False,
            "Permit retention_days below 180 (not compliant with CERT-In)."),
    Setting("compression", "gzip",
            "Compression of the archived Zeek logs: gzip (what every tool reads) or zstd."),
    Setting("disk_budget_gb", 0.0,
            "Disk the store may use, in GB; 0 means the store's size plus the free space "
            "of its file system. Status and notice.log warn when the retention window "
            "would not fit at the measured daily rate."),
    Setting("query_timeout_s", 30.0,
            "Time limit for one query or search, in seconds."),
    Setting("flush_interval_s", 1.0,
            "How often open logs are flushed to the journal: a crash loses at most this "
            "much of the newest records."),
)


@dataclass
class StoreConfig:
    retention_days: int = CERT_IN_DAYS
    allow_short_retention: bool = False
    compression: str = "gzip"
    disk_budget_gb: float = 0.0
    query_timeout_s: float = 30.0
    flush_interval_s: float = 1.0
    warnings: list[str] = field(default_factory=list)

    def check(self) -> "StoreConfig":
        if self.compression not in COMPRESSIONS:
            raise UserError(f"compression must be one of {', '.join(COMPRESSIONS)}, "
                            f"not {self.compression!r}")
        if not isinstance(self.retention_days, int) or self.retention_days < 1:
            raise UserError("retention_days must be a whole number of days, at least 1")
        if self.retention_days < CERT_IN_DAYS:
            if not self.allow_short_retention:
                raise UserError(
                    f"retention_days = {self.retention_days} is below CERT-In's 180 days; "
                    "accept that with `init --allow-short-retention` or "
                    "allow_short_retention = true in the store's config")
            self.warnings.append(
                f"retention is {self.retention_days} days: below the 180 days the CERT-In "
                "Directions (2022) require")
        if self.query_timeout_s <= 0 or self.flush_interval_s <= 0:
            raise UserError("query_timeout_s and flush_interval_s must be positive")
        return self


def _declared_names() -> set[str]:
    return {f.name for f in fields(StoreConfig)} - {"warnings"}


def load(store_dir: Path) -> StoreConfig:
    """The settings of the store at ``store_dir`` (defaults for what the file leaves out)."""
    path = store_dir / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return StoreConfig().check()
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from None
    section = data.get("store", {})
    unknown = set(section) - _declared_names() - {"path"}
    if unknown:
        raise UserError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    values = {k: v for k, v in section.items() if k != "path"}
    try:
        return StoreConfig(**values).check()
    except TypeError as exc:
        raise UserError(f"{path}: {exc}") from None


def render(config: StoreConfig | None = None) -> str:
    """The commented TOML config file ``init`` writes."""
    config = config or StoreConfig()
    lines = ["# Shoestring store settings. Every setting has a comment; delete a line to",
             "# get its default back.", "", "[store]"]
    for setting in SETTINGS:
        lines.append("")
        lines.extend(f"# {part}" for part in _wrap(setting.help))
        lines.append(f"{setting.name} = {_toml_value(getattr(config, setting.name))}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int = 86) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return out + ([line] if line else [])


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def find_config_file() -> Path | None:
    env = os.environ.get("SHOESTRING_CONFIG")
    if env:
        return Path(env)
    local = Path(CONFIG_NAME)
    return local if local.is_file() else None


def resolve_store_dir(flag: str | None) -> Path:
    """Where the store is: flag, config file, $SHOESTRING_STORE, ./shoestring-store."""
    if flag:
        return Path(flag)
    config_file = find_config_file()
    if config_file is not None and config_file.is_file():
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{config_file}: {exc}") from None
        path = data.get("store", {}).get("path")
        if path:
            return (config_file.parent / path) if not os.path.isabs(path) else Path(path)
    env = os.environ.get("SHOESTRING_STORE")
    return Path(env) if env else Path(DEFAULT_STORE)


def add_store_argument(parser) -> None:
    parser.add_argument(
        "--store", metavar="DIR",
        help="the store (default: [store] path in the config file, else "
             "$SHOESTRING_STORE, else ./shoestring-store)")
