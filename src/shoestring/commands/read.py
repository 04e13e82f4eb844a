"""`shoestring read`: captures in, Zeek logs out, a one-screen summary."""

from __future__ import annotations

import os
import sys
import time

from ..capture.errors import UnsupportedLinkType
from ..capture.pcap import CaptureReader
from ..decode.link import LINK_DECODERS, LINK_NAMES
from ..errors import InputError, UserError
from ..flows.conn import addr_text
from ..logs.output import DirectoryOutput
from ..logs.schema import all_schemas
from ..pipeline import Pipeline, seed_from_files, tune_gc

ORDER = 10
PROGRESS_EVERY = 1 << 16        # packets between progress-bar refreshes


def register(sub) -> None:
    p = sub.add_parser("read", help="read capture files and write Zeek logs",
                       description="Read pcap, pcapng or gzip-compressed captures (or - for "
                                   "standard input) and write Zeek-compatible logs.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-C", dest="ignore_checksums", action="store_true",
                   help="ignore IP/TCP/UDP checksums (as zeek -C)")
    p.add_argument("--logdir", default="logs", help="folder for the logs (default ./logs)")
    p.add_argument("--json", action="store_true", help="JSON lines instead of Zeek TSV")
    p.add_argument("--logs", default=None, metavar="LIST",
                   help="comma-separated logs to write (default all), e.g. conn,dns")
    p.add_argument("--store", default=None, metavar="DIR",
                   help="import into a Shoestring store instead of --logdir")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(func=run)


def _wanted_logs(text: str | None) -> set[str] | None:
    if not text:
        return None
    wanted = {w.strip() for w in text.split(",") if w.strip()}
    unknown = wanted - set(all_schemas())
    if unknown:
        raise UserError(f"unknown log(s): {', '.join(sorted(unknown))} "
                        f"(known: {', '.join(sorted(all_schemas()))})")
    return wanted


def _analyzers_for(wanted: set[str] | None) -> bool | set[str]:
    """Only run the analyzers whose logs were asked for: `--logs conn` is the fast path."""
    if wanted is None:
        return True
    from ..analyzers.detect import all_specs
    names = {s.name for s in all_specs()}
    # Analyzers named after their log, plus the ones feeding logs under other names.
    feeds = {"ssl": {"ssl", "x509"}, "http": {"http", "files"}, "quic": {"quic", "ssl"},
             "smtp": {"smtp", "files"}, "ftp": {"ftp", "files"}}
    chosen = {n for n in names if n in wanted or feeds.get(n, set()) & wanted}
    return chosen or False


def _open_output(args, wanted):
    if args.store:
        try:
            from ..store.archive import open_store_output
        except ImportError as exc:
            raise UserError(f"the store is not available: {exc}") from None
        return open_store_output(args.store, only=wanted, sources=args.files)
    return DirectoryOutput(args.logdir, json=args.json, only=wanted)


def run(args) -> int:
    wanted = _wanted_logs(args.logs)
    for path in args.files:
        if path != "-" and not os.path.exists(path):
            raise UserError(f"{path}: no such file")
    output = _open_output(args, wanted)
    if getattr(output, "already_imported", False):
        output.close()
        print(f"{', '.join(args.files)}: already imported into the store; nothing to do")
        return 0
    pipeline = Pipeline(output, ignore_checksums=args.ignore_checksums,
                        analyzers=_analyzers_for(wanted),
                        seed=seed_from_files([p for p in args.files if p != "-"]))
    tune_gc()
    show_progress = not args.no_progress and sys.stderr.isatty()
    errors: list[str] = []
    started = time.monotonic()
    fatal: UserError | None = None
    try:
        for path in args.files:
            reader = CaptureReader(path)
            _check_link_types(reader)
            _read_one(pipeline, reader, show_progress)
            if reader.error:
                errors.append(reader.error)
            reader.close()
    except UserError as exc:
        fatal = exc
    except BaseException:
        # Interrupted or crashed: the store keeps what was flushed and the next run
        # resumes (StoreOutput.abort); a plain folder just gets what was written.
        pipeline.finish()
        getattr(output, "abort", output.close)()
        raise
    pipeline.finish()
    if (errors or fatal) and hasattr(output, "abort"):
        output.abort()
    else:
        output.close()
    elapsed = time.monotonic() - started
    if not args.quiet and not fatal:
        print(summary(pipeline, output, args, elapsed))
    if fatal is not None:
        raise fatal
    if errors:
        for line in errors[:-1]:
            print(f"shoestring: {line}", file=sys.stderr)
        raise InputError(errors[-1])
    return 0


def _check_link_types(reader: CaptureReader) -> None:
    if reader.format == "pcap" and reader.linktype not in LINK_DECODERS:
        raise UnsupportedLinkType(
            f"{reader.name}: link type {reader.linktype} is not supported "
            f"(supported: {', '.join(sorted(set(LINK_NAMES.values())))})")


def _read_one(pipeline: Pipeline, reader: CaptureReader, show_progress: bool) -> None:
    if not show_progress:
        pipeline.run(reader)
        return
    size = reader.size or 0
    pipeline.run(reader, progress=lambda count: _progress(reader, count, size),
                 every=PROGRESS_EVERY)
    sys.stderr.write("\r\033[K")
    sys.stderr.flush()


def _progress(reader: CaptureReader, count: int, size: int) -> None:
    if size and hasattr(reader.stream, "tell"):
        # Only a file of known size has a position: tell() on a pipe (standard input)
        # raises. A gzip stream's position is its place in the compressed file.
        fraction = min(reader.position() / size, 1.0)
        bar = "#" * int(fraction * 30)
        sys.stderr.write(f"\r{reader.name}: [{bar:<30}] {fraction:4.0%} {count:,} packets")
    else:
        sys.stderr.write(f"\r{reader.name}: {count:,} packets")
    sys.stderr.flush()


def summary(pipeline: Pipeline, output, args, elapsed: float) -> str:
    stats = pipeline.stats
    lines = []
    span = (stats.last_ts - stats.first_ts) if stats.first_ts is not None else 0.0
    where = args.store or args.logdir
    lines.append(f"Read {stats.packets:,} packets ({stats.bytes / 1e6:,.1f} MB) "
                 f"spanning {span:,.1f} s in {elapsed:,.2f} s "
                 f"({stats.packets / elapsed if elapsed else 0:,.0f} packets/s).")
    lines.append(f"Connections: {pipeline.table.total:,}   weirds: {stats.weirds:,}")
    counts = getattr(output, "counts", {})
    if counts:
        logs = ", ".join(f"{name} {n:,}" for name, n in sorted(counts.items()))
        lines.append(f"Logs in {where}/: {logs}")
    top = stats.talkers.most_common(5)
    if top:
        lines.append("Top talkers (IP bytes):")
        for addr, nbytes in top:
            lines.append(f"  {addr_text(addr):<40} {nbytes:>14,}")
    return "\n".join(lines)
