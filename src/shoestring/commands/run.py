"""`shoestring run`: the live sensor. Captures from interfaces day and night into the
store (or a log folder), with health logs, clock checks and an optional packet ring.

Process model. The capture sockets are opened first (as root or with CAP_NET_RAW),
then privileges are dropped, then the output is opened. With one worker the process
captures itself. With ``--workers N`` the kernel spreads flows over N sockets per
interface (PACKET_FANOUT, symmetric flow hash) and N forked workers each run a
pipeline; they send their log records in batches over a pipe to the parent, which
is the store's one writer (the store takes one lock per store: one StoreOutput,
fed by all). The parent also checks the clock. Each worker writes its own packet
ring files; `shoestring pcap` merges them by time.

Signals: SIGTERM (and SIGINT) flush everything and exit 0; SIGHUP reloads the
[sensor] settings that can change live (filter, NTP servers, intervals, ring limits)
and the store's settings. An interface going down and up is survived; one deleted and
created again is reopened with backoff (capture/live.py).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import tomllib
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Pipe, wait

from ..capture import bpf, privileges
from ..capture.live import LiveCapture, fanout_group
from ..clock.check import CHECK_EVERY_S, DEFAULT_SERVERS
from ..errors import UserError
from ..logs.output import DirectoryOutput
from ..store import config as storeconfig
from ._sensor import STATS_INTERVAL_S, ClockWatch, Sensor, notice, say

ORDER = 15
BATCH_RECORDS = 2000          # records per message from a worker: amortises pickling
BATCH_AGE_S = 0.5             # and no record waits longer than this in a worker
MAX_WORKERS = 64              # more than cores on any small sensor; fanout allows 65536


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


# The [sensor] section of the config file, declared once (defaults, docs, --print-config).
SETTINGS = (
    Setting("interfaces", [], "Interfaces to capture from (span port or tap), e.g. "
            '["eth1"]. -i on the command line replaces the list.'),
    Setting("workers", 1, "Capture processes; flows are spread over them by the kernel "
            "(PACKET_FANOUT). One per core you can spare."),
    Setting("filter", "", "BPF capture filter in tcpdump syntax; empty captures all."),
    Setting("user", "", "Unprivileged user to become once the capture is open "
            "(empty: stay as started, keeping only CAP_NET_RAW)."),
    Setting("ignore_checksums", False, "Do not verify IP/TCP/UDP checksums (as zeek -C): "
            "needed where the capture NIC offloads checksums."),
    Setting("stats_interval_s", STATS_INTERVAL_S, "Seconds between stats.log and "
            "capture_loss.log records (Zeek: 5 minutes)."),
    Setting("ntp_servers", list(DEFAULT_SERVERS), "NTP servers the clock is checked "
            "against by SNTP (host or host:port). Empty: no checks."),
    Setting("ntp_check_interval_s", CHECK_EVERY_S, "Seconds between clock checks."),
    Setting("buffer_mb", 64, "Kernel ring per interface and worker, in MiB: absorbs "
            "bursts while Python catches up."),
    Setting("pcap_ring", "", "Folder for the full-packet ring (rolling pcap files); "
            "empty: no ring."),
    Setting("pcap_ring_gb", 20.0, "Most disk the packet ring may use, in GB."),
    Setting("pcap_ring_hours", 72.0, "Oldest packets kept in the ring, in hours."),
    Setting("pcap_file_mb", 256, "Size of one ring file, in MiB."),
)


def defaults() -> dict:
    return {s.name: (list(s.default) if isinstance(s.default, list) else s.default)
            for s in SETTINGS}


def render_config() -> str:
    """The commented [sensor] section (for `run --print-config` and the docs)."""
    lines = ["[sensor]"]
    for s in SETTINGS:
        lines.append("")
        lines.append(f"# {s.help}")
        lines.append(f"{s.name} = {_toml(s.default)}")
    return "\n".join(lines) + "\n"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def register(sub) -> None:
    p = sub.add_parser("run", help="capture live from interfaces (the sensor)",
                       description="Capture from network interfaces continuously and "
                                   "write Zeek logs into the store (or --logdir).")
    p.add_argument("-i", "--interface", action="append", dest="interfaces",
                   metavar="IFACE", help="interface to capture from (repeatable)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="capture processes, flows spread by the kernel (default 1)")
    p.add_argument("--filter", default=None, metavar="BPF",
                   help="capture filter, tcpdump syntax")
    storeconfig.add_store_argument(p)
    p.add_argument("--logdir", default=None, metavar="DIR",
                   help="write plain Zeek logs into DIR instead of the store")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="config file with a [sensor] section (default $SHOESTRING_CONFIG, "
                        "./shoestring.toml, else the store's)")
    p.add_argument("--user", default=None, help="user to become after opening the capture")
    p.add_argument("-C", dest="ignore_checksums", action="store_true", default=None,
                   help="ignore IP/TCP/UDP checksums (as zeek -C)")
    p.add_argument("--pcap-ring", default=None, metavar="DIR",
                   help="keep rolling pcap files of every packet in DIR")
    p.add_argument("--ntp-server", action="append", default=None, metavar="HOST[:PORT]",
                   help="NTP server to check the clock against (repeatable)")
    p.add_argument("--no-ntp", action="store_true", help="no clock checks")
    p.add_argument("--stats-interval", type=float, default=None, metavar="SECONDS",
                   help="seconds between stats.log records (default 300)")
    p.add_argument("--print-config", action="store_true",
                   help="print the commented [sensor] config section and exit")
    p.set_defaults(func=run)


# -- settings -----------------------------------------------------------------------------

def _config_path(args) -> str | None:
    if args.config:
        return args.config
    found = storeconfig.find_config_file()
    if found is not None:
        return str(found)
    if args.logdir is None:
        try:
            candidate = storeconfig.resolve_store_dir(args.store) / storeconfig.CONFIG_NAME
        except UserError:
            return None
        if candidate.is_file():
            return str(candidate)
    return None


def load_settings(args) -> dict:
    """Defaults, then the config file's [sensor] section, then the flags."""
    settings = defaults()
    path = _config_path(args)
    if path is not None:
        try:
            with open(path, "rb") as f:
                section = tomllib.load(f).get("sensor", {})
        except FileNotFoundError:
            if args.config:
                raise UserError(f"{path}: no such config file") from None
            section = {}
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: {exc}") from None
        unknown = set(section) - set(settings)
        if unknown:
            raise UserError(f"{path}: unknown [sensor] setting(s) "
                            f"{', '.join(sorted(unknown))}")
        for name, value in section.items():
            if type(value) is not type(settings[name]) and not (
                    isinstance(settings[name], float) and isinstance(value, int)):
                raise UserError(f"{path}: [sensor] {name} must be "
                                f"{type(settings[name]).__name__}")
            settings[name] = value
    flags = {"interfaces": args.interfaces, "workers": args.workers, "filter": args.filter,
             "user": args.user, "ignore_checksums": args.ignore_checksums,
             "pcap_ring": args.pcap_ring, "ntp_servers": args.ntp_server,
             "stats_interval_s": args.stats_interval}
    for name, value in flags.items():
        if value is not None:
            settings[name] = value
    if args.no_ntp:
        settings["ntp_servers"] = []
    if not settings["interfaces"]:
        raise UserError("no interface to capture from: give -i IFACE or set "
                        "[sensor] interfaces in the config file")
    if not 1 <= settings["workers"] <= MAX_WORKERS:
        raise UserError(f"--workers must be between 1 and {MAX_WORKERS}")
    if settings["stats_interval_s"] <= 0:
        raise UserError("the stats interval must be positive")
    return settings


def _ntp_servers(names: list[str]) -> tuple[list[str], int]:
    """Names and one port (host:port entries share the port of the last one given)."""
    hosts, port = [], 123
    for name in names:
        host, sep, p = name.rpartition(":")
        if sep and p.isdigit() and host and ":" not in host.strip("[]"):
            hosts.append(host.strip("[]"))
            port = int(p)
        else:
            hosts.append(name)
    return hosts, port


def _compile(expression: str):
    return bpf.compile_filter(expression) if expression.strip() else None


# -- outputs -------------------------------------------------------------------------------

def _open_output(args):
    """Opened after privileges are dropped, so files belong to the sensor's user."""
    try:
        if args.logdir is not None:
            output = DirectoryOutput(args.logdir)
            output.logdir.mkdir(parents=True, exist_ok=True)
            if not os.access(output.logdir, os.W_OK):
                raise PermissionError(13, "not writable", str(output.logdir))
            return output
        from ..store.archive import open_store_output
        return open_store_output(args.store)
    except PermissionError as exc:
        raise UserError(f"cannot write to {exc.filename or 'the store'} as uid "
                        f"{os.getuid()} (privileges are dropped before the output is "
                        "opened): chown it to the sensor's user") from None


class PipeOutput:
    """A worker's LogOutput: records go to the parent in batches over a pipe."""

    def __init__(self, conn):
        self.conn = conn
        self.batch: list[tuple[str, dict]] = []
        self.started = time.monotonic()

    def write(self, log: str, record: dict) -> None:
        if not self.batch:
            self.started = time.monotonic()
        self.batch.append((log, record))
        if len(self.batch) >= BATCH_RECORDS or \
                time.monotonic() - self.started >= BATCH_AGE_S:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.conn.send(self.batch)
            self.batch = []

    def close(self) -> None:
        self.flush()
        self.conn.send(None)            # done: everything of this worker was sent
        self.conn.close()


# -- the run -------------------------------------------------------------------------------

def run(args) -> int:
    if args.print_config:
        sys.stdout.write(render_config())
        return 0
    settings = load_settings(args)
    program = _compile(settings["filter"])
    workers = settings["workers"]
    seed = os.getpid() ^ int(time.time())
    per_worker: list[list[LiveCapture]] = []
    for w in range(workers):
        caps = []
        for i, iface in enumerate(settings["interfaces"]):
            cap = LiveCapture(iface, program=program,
                              fanout=fanout_group(seed, i) if workers > 1 else None,
                              block_count=max(1, settings["buffer_mb"]))
            cap.open()
            caps.append(cap)
        per_worker.append(caps)
    dropped = privileges.drop(settings["user"] or None)
    say(f"capturing on {', '.join(settings['interfaces'])} with {workers} worker(s)"
        + (f", filter {settings['filter']!r}" if program else "")
        + f"; running as uid {dropped.uid}, keeping {', '.join(dropped.kept) or 'nothing'}")
    output = _open_output(args)
    hosts, port = _ntp_servers(settings["ntp_servers"])
    clock = ClockWatch(hosts, settings["ntp_check_interval_s"], port) if hosts else None
    if workers == 1:
        return _run_single(args, settings, per_worker[0], output, clock)
    return _run_workers(args, settings, per_worker, output, clock)


def _make_ring(settings, worker: int):
    if not settings["pcap_ring"]:
        return None
    from ..capture.ring import PacketRing
    return PacketRing(settings["pcap_ring"], worker=worker,
                      max_bytes=int(settings["pcap_ring_gb"] * 1e9),
                      max_age_s=settings["pcap_ring_hours"] * 3600,
                      file_bytes=settings["pcap_file_mb"] << 20)


def _reloader(args):
    """SIGHUP: what can change without reopening sockets is applied; the rest is said."""
    def reload(sensor: Sensor) -> None:
        try:
            new = load_settings(args)
            program = _compile(new["filter"])
        except UserError as exc:
            say(f"reload refused, keeping the old settings: {exc}")
            return
        for cap in sensor.captures:
            cap.set_filter(program)
        sensor.stats_interval_s = new["stats_interval_s"]
        if sensor.clock is not None:
            sensor.clock.servers, sensor.clock.port = _ntp_servers(new["ntp_servers"])
            sensor.clock.every_s = new["ntp_check_interval_s"]
            sensor.clock.next_at = 0.0          # check again now
        if sensor.ring is not None:
            sensor.ring.max_bytes = int(new["pcap_ring_gb"] * 1e9)
            sensor.ring.max_age_s = new["pcap_ring_hours"] * 3600
        _reload_store(sensor.output)
        say(f"{sensor.peer}: configuration reloaded (filter {new['filter']!r}); "
            "interfaces, workers and user change on restart")
    return reload


def _reload_store(output) -> None:
    store = getattr(output, "store", None)
    if store is None or not hasattr(output, "flush_interval"):
        return
    try:
        store.config = storeconfig.load(store.root)
        output.flush_interval = store.config.flush_interval_s
    except UserError as exc:
        say(f"store settings not reloaded: {exc}")


def _signals(sensor: Sensor) -> None:
    def stop(_signum, _frame):
        sensor.stopping = True

    def hup(_signum, _frame):
        sensor.hup = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)


def _run_single(args, settings, caps, output, clock) -> int:
    sensor = Sensor(caps, output, ignore_checksums=settings["ignore_checksums"],
                    stats_interval_s=settings["stats_interval_s"],
                    ring=_make_ring(settings, 0), clock=clock, reload=_reloader(args))
    _signals(sensor)
    try:
        sensor.run()
    finally:
        output.close()
    say(f"stopped: {sensor.source.packets:,} packets, "
        f"{sum(c.kernel_drops for c in caps):,} dropped by the kernel")
    return 0


def _run_workers(args, settings, per_worker, output, clock) -> int:
    children: dict = {}
    for index, caps in enumerate(per_worker):
        parent_end, child_end = Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:                                    # the worker
            parent_end.close()
            for other in per_worker:
                if other is not caps:
                    for cap in other:
                        cap.close()
            os._exit(_worker(args, settings, caps, child_end, index))
        child_end.close()
        for cap in caps:                                # the parent captures nothing
            cap.close()
        children[parent_end] = pid
    state = {"stop": False, "hup": False}

    def stop(_signum, _frame):
        state["stop"] = True

    def hup(_signum, _frame):
        state["hup"] = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)
    forwarded = False
    failed = False
    last_flush = time.monotonic()
    try:
        while children:
            if state["stop"] and not forwarded:
                forwarded = True
                for pid in children.values():
                    _kill(pid, signal.SIGTERM)
            if state["hup"]:
                state["hup"] = False
                for pid in children.values():
                    _kill(pid, signal.SIGHUP)
                _reload_store(output)
            for conn in wait(list(children), timeout=0.25):
                try:
                    batch = conn.recv()
                except (EOFError, OSError):
                    batch = None
                    if not state["stop"]:
                        failed = True
                        notice(output, time.time(), "Capture::Worker_Died",
                               f"capture worker {children[conn]} died; stopping", "manager")
                        state["stop"] = True
                if batch is None:
                    os.waitpid(children.pop(conn), 0)
                    conn.close()
                    continue
                for log, record in batch:
                    output.write(log, record)
            if clock is not None:
                clock.poll(output, "manager")
            if time.monotonic() - last_flush >= 1.0:
                last_flush = time.monotonic()
                output.flush()
    finally:
        for pid in children.values():
            _kill(pid, signal.SIGKILL)
        output.close()
    say("stopped" + (": a worker died" if failed else ""))
    return 1 if failed else 0


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _worker(args, settings, caps, conn, index: int) -> int:
    """A forked capture worker: its own pipeline, records to the parent."""
    try:
        output = PipeOutput(conn)
        sensor = Sensor(caps, output, peer=f"worker-{index + 1}",
                        ignore_checksums=settings["ignore_checksums"],
                        stats_interval_s=settings["stats_interval_s"],
                        ring=_make_ring(settings, index), reload=_reloader(args))
        _signals(sensor)
        sensor.run()
        output.close()
        return 0
    except BaseException:                                          # noqa: BLE001
        traceback.print_exc()
        return 1
