"""shoestring init: create a store (commented config, Ed25519 keys, the ledger)."""

from __future__ import annotations

from ..store import config as configmod

# Store modules are imported in run(): `shoestring --help` loads none of them.

ORDER = 20


def register(subparsers) -> None:
    p = subparsers.add_parser("init", help="create a store (config, signing keys, ledger)",
                              description=__doc__)
    configmod.add_store_argument(p)
    p.add_argument("--retention-days", type=int, default=configmod.CERT_IN_DAYS,
                   help="days of logs kept (default 180, CERT-In; 365 for the DPDP Rules)")
    p.add_argument("--allow-short-retention", action="store_true",
                   help="accept a retention below 180 days (breaks the CERT-In rule)")
    p.add_argument("--compression", choices=configmod.COMPRESSIONS, default="gzip",
                   help="compression of the archived logs (default gzip)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..store.layout import Store

    root = configmod.resolve_store_dir(args.store)
    config = configmod.StoreConfig(retention_days=args.retention_days,
                                   allow_short_retention=args.allow_short_retention,
                                   compression=args.compression)
    store = Store.create(root, config)
    _add_sensor_section(root / configmod.CONFIG_NAME)
    for warning in store.config.warnings:
        print(f"warning: {warning}")
    print(f"created the store {root} ({config.retention_days}-day retention, "
          f"{config.compression}); settings in {root / configmod.CONFIG_NAME}")
    print(f"public key: {store.keys_dir / 'store.pub'} (give it to whoever checks the store; "
          "keep store.key private)")
    return 0


def _add_sensor_section(path) -> None:
    """One commented file for the whole box: the live sensor's [sensor] settings follow
    the store's (`shoestring run` reads them; the store ignores them)."""
    from ..store.atomic import write_atomic
    from .run import render_config

    text = path.read_text(encoding="utf-8")
    if "[sensor]" not in text:
        write_atomic(path, (text + "\n# The live sensor (shoestring run).\n"
                            + render_config()).encode())
