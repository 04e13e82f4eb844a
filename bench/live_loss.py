"""Capture loss of `shoestring run`: the bench's office mix replayed onto a veth pair at
rising rates; the highest rate with zero kernel drops, for 1 and 2 workers.

    python bench/live_loss.py                     # needs root; makes its own namespace
    python bench/live_loss.py --workers 1 --seconds 5 --record

A network namespace of its own holds a veth pair; a sender (Python, AF_PACKET, paced
per millisecond) writes the mix's frames into one end, `shoestring run -C` captures the
other with all analyzers on. Each trial runs ``--seconds`` at one rate, then SIGTERM;
the sensor's stats.log at exit gives the kernel's drops (PACKET_STATISTICS) and the
packets it saw. Rates grow by ``--step`` until a trial drops packets or the sender can
no longer keep the pace (reported as such: then the sensor was not the limit).

The kernel ring (buffer_mb, 64 MiB by default) absorbs a deficit for a while, so a
trial must outlast it: at 860-byte frames 64 MiB is ~78,000 packets, under 10 s at any
rate this machine can lose packets at. ``--buffer-mb`` makes it smaller to measure the
sustained rate with shorter trials.

``--capture-cost`` measures instead what getting packets into Python costs, per packet
in CPU time, for the two ways capture/live.py could have been written: its own
TPACKET_V3 ring (blocks repacked as the pipeline's pcap records) and libpcap through
pcapy-ng (``pip install pcapy-ng``), with the same repacking RecordSource does.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))

from shoestring.capture.pcap import CaptureReader  # noqa: E402

NS = f"sslb{os.getpid() % 100000}"
TX, RX = f"lbt{os.getpid() % 100000}", f"lbr{os.getpid() % 100000}"
MTU = 9000                   # the mix has no jumbo frames; headroom for any that come


def sh(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def setup() -> None:
    sh("ip", "netns", "add", NS)
    sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
       "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "link", "add", TX, "netns", NS, "mtu", str(MTU), "type", "veth", "peer",
       "name", RX, "netns", NS, "mtu", str(MTU))
    for dev in (TX, RX):
        sh("ip", "-n", NS, "link", "set", dev, "up")


def teardown() -> None:
    sh("ip", "netns", "del", NS, check=False)


def load_frames(path: str, limit: int) -> list[bytes]:
    frames = []
    for _ts, linktype, frame, _wire in CaptureReader(path):
        if linktype == 1 and 14 <= len(frame) <= MTU + 14:
            frames.append(bytes(frame))
        if len(frames) >= limit:
            break
    return frames


def sender(frames: list[bytes], rate: int, seconds: float) -> tuple[int, float]:
    """Send at ``rate`` packets/s for ``seconds`` (runs inside the namespace: this
    function is called in a child that entered it). Returns (sent, achieved rate)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((TX, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    send = sock.send
    total = int(rate * seconds)
    n = len(frames)
    sent = i = 0
    start = time.perf_counter()
    clock = time.perf_counter
    while sent < total:
        # Send what is due by now, then sleep a millisecond: the average rate is exact
        # and bursts stay under a millisecond's worth.
        due = min(total, int(rate * (clock() - start)) + 1)
        while sent < due:
            try:
                send(frames[i])
            except OSError:
                pass
            i = i + 1 if i + 1 < n else 0
            sent += 1
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    sock.close()
    return sent, sent / elapsed


def read_stats(logdir: str) -> tuple[int, int, int]:
    """(dropped, seen by the kernel, processed) summed over workers from stats.log."""
    path = os.path.join(logdir, "stats.log")
    dropped = link = proc = 0
    with open(path, encoding="utf-8") as f:
        fields = None
        for line in f:
            if line.startswith("#fields"):
                fields = line.rstrip("\n").split("\t")[1:]
            elif not line.startswith("#"):
                rec = dict(zip(fields, line.rstrip("\n").split("\t")))
                dropped += int(rec["pkts_dropped"]) if rec["pkts_dropped"] != "-" else 0
                link += int(rec["pkts_link"]) if rec["pkts_link"] != "-" else 0
                proc += int(rec["pkts_proc"])
    return dropped, link, proc


def trial(frames, rate: int, workers: int, seconds: float, buffer_mb: int) -> dict:
    logdir = tempfile.mkdtemp(prefix="live-loss-")
    config = os.path.join(logdir, "sensor.toml")
    with open(config, "w") as f:
        f.write(f"[sensor]\nbuffer_mb = {buffer_mb}\n")
    sensor = subprocess.Popen(
        ["ip", "netns", "exec", NS, sys.executable, "-m", "shoestring.cli", "run", "-i",
         RX, "-C", "--no-ntp", "--workers", str(workers), "--logdir", logdir,
         "--config", config, "--stats-interval", "3600"],
        stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = sensor.stderr.readline()
    if "capturing on" not in line:
        sensor.kill()
        raise SystemExit(f"the sensor did not start: {line}{sensor.stderr.read()}")
    time.sleep(0.5)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                  # the sender enters the namespace
        os.close(r)
        _enter_namespace()
        sent, achieved = sender(frames, rate, seconds)
        os.write(w, f"{sent} {achieved}".encode())
        os._exit(0)
    os.close(w)
    result = os.read(r, 100).decode().split()
    os.waitpid(pid, 0)
    time.sleep(1.0)                               # let the ring drain
    sensor.send_signal(signal.SIGTERM)
    sensor.communicate(timeout=120)
    sent, achieved = int(result[0]), float(result[1])
    dropped, link, proc = read_stats(logdir)
    subprocess.run(["rm", "-rf", logdir])
    return {"rate": rate, "sent": sent, "achieved": achieved, "dropped": dropped,
            "link": link, "proc": proc}


def _enter_namespace() -> None:
    import ctypes
    fd = os.open(f"/var/run/netns/{NS}", os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:   # CLONE_NEWNET
        os._exit(2)


def _receive(mode: str, count: int, ready) -> tuple[int, float]:
    """Receive ``count`` packets on RX; (received, CPU seconds spent receiving).
    ``ready()`` is called once the capture is open."""
    import resource
    import select
    import struct

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    got = 0
    if mode == "tpacket":
        from shoestring.capture.live import LiveCapture
        cap = LiveCapture(RX)
        cap.open()
        poller = select.poll()
        poller.register(cap.fileno(), select.POLLIN)
        ready()
        start = cpu()
        deadline = time.monotonic() + 60
        while got < count and time.monotonic() < deadline:
            block = cap.read_block()
            if block is None:
                poller.poll(100)
                continue
            got += block[1]
    else:
        import pcapy
        cap = pcapy.open_live(RX, 65535, 1, 100)
        pack = struct.Struct("<IIII").pack
        parts = []
        ready()
        start = cpu()
        deadline = time.monotonic() + 60
        while got < count and time.monotonic() < deadline:
            header, data = cap.next()
            if header is None or not data:
                continue
            sec, usec = header.getts()
            # What RecordSource does for the pipeline: a record header per packet,
            # one joined buffer per 1024 records.
            parts.append(pack(sec, usec * 1000, len(data), header.getlen()))
            parts.append(data)
            if len(parts) >= 1024:
                b"".join(parts)
                parts = []
            got += 1
    return got, cpu() - start


def capture_cost(frames, count: int, rate: int) -> list[str]:
    lines = []
    for mode in ("tpacket", "pcapy", "tpacket", "pcapy"):
        if mode == "pcapy":
            try:
                import pcapy  # noqa: F401
            except ImportError:
                lines.append("pcapy-ng is not installed: pip install pcapy-ng")
                continue
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.alarm(90)                    # pcap's next() can block: a hard bound
            _enter_namespace()
            got, spent = _receive(mode, count, lambda: os.write(w, b"r"))
            os.write(w, f"{got} {spent}".encode())
            os._exit(0)
        os.close(w)
        if os.read(r, 1) != b"r":               # the receiver's capture is open
            os.waitpid(pid, 0)
            lines.append(f"| {mode} | receiver failed | - | - |")
            continue
        spid = os.fork()
        if spid == 0:
            _enter_namespace()
            sender(frames, rate, count / rate)
            os._exit(0)
        os.waitpid(spid, 0)
        answer = os.read(r, 100).decode().split()
        os.waitpid(pid, 0)
        if len(answer) != 2:
            lines.append(f"| {mode} | timed out | - | - |")
            continue
        got, spent = answer
        got, spent = int(got), float(spent)
        lines.append(f"| {'TPACKET_V3 (capture/live.py)' if mode == 'tpacket' else 'libpcap via pcapy-ng'} "
                     f"| {got:,} of {count:,} | {spent:.3f} | {1e6 * spent / max(got, 1):.2f} |")
        print(lines[-1], flush=True)
    return lines


def ladder(frames, workers, args, avg_bytes) -> tuple[list[dict], dict | None, str]:
    rows, best, why = [], None, "every rate tried was clean"
    rate = args.start
    while rate <= args.max_rate:
        row = trial(frames, rate, workers, args.seconds, args.buffer_mb)
        rows.append(row)
        mbit = row["achieved"] * avg_bytes * 8 / 1e6
        print(f"workers={workers} target={rate:>7,}/s achieved={row['achieved']:>9,.0f}/s "
              f"({mbit:6.1f} Mbit/s) sent={row['sent']:,} seen={row['link']:,} "
              f"processed={row['proc']:,} dropped={row['dropped']:,}", flush=True)
        if row["achieved"] < 0.95 * rate:
            why = f"the sender could not keep {rate:,}/s (sender-bound, not sensor-bound)"
            if not row["dropped"]:
                best = row
            break
        if row["dropped"]:
            why = f"drops from {rate:,}/s"
            break
        best = row
        rate = int(rate * args.step)
    return rows, best, why


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", default=None, help="pcap to replay (default: the office mix)")
    ap.add_argument("--frames", type=int, default=200_000, help="frames loaded and looped")
    ap.add_argument("--workers", default="1,2", help="worker counts to measure")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of one trial")
    ap.add_argument("--start", type=int, default=2000, help="first rate, packets/s")
    ap.add_argument("--step", type=float, default=1.5, help="rate factor between trials")
    ap.add_argument("--max-rate", type=int, default=400_000)
    ap.add_argument("--buffer-mb", type=int, default=64, help="kernel ring per worker")
    ap.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    ap.add_argument("--capture-cost", action="store_true",
                    help="CPU per packet: TPACKET_V3 ring against libpcap (pcapy-ng)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("live_loss.py needs root (namespaces, AF_PACKET)", file=sys.stderr)
        return 2
    path = args.file
    if path is None:
        candidates = sorted(p for p in os.listdir(os.path.join(HERE, "out"))
                            if p.startswith("office-")) if os.path.isdir(
            os.path.join(HERE, "out")) else []
        if not candidates:
            print("no office mix in bench/out: run `python bench/run.py` once first",
                  file=sys.stderr)
            return 2
        path = os.path.join(HERE, "out", candidates[0])
    frames = load_frames(path, args.frames)
    avg = sum(map(len, frames)) / len(frames)
    print(f"{len(frames):,} frames from {os.path.basename(path)}, {avg:,.0f} bytes average",
          flush=True)
    if args.capture_cost:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        setup()
        try:
            rows = capture_cost(frames, 150_000, 30_000)
        finally:
            teardown()
        lines = [f"### Getting packets into Python ({time.strftime('%Y-%m-%d', time.gmtime())})",
                 "", "`sudo python bench/live_loss.py --capture-cost`: 150,000 frames of the "
                 "office mix at 30,000/s onto a veth; CPU time of the receiving process "
                 f"(load average {os.getloadavg()[0]:.2f}).", "",
                 "| capture | received | CPU s | µs/packet |", "|---|---|---|---|", *rows]
        print("\n".join(lines))
        if args.record:
            with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as f:
                f.write("\n" + "\n".join(lines) + "\n")
        return 0
    results = {}
    # Killed with SIGTERM, still delete the namespace (finally runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    setup()
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            results[workers] = ladder(frames, workers, args, avg)
    finally:
        teardown()
    lines = summary(results, args, path, avg)
    print("\n".join(lines))
    if args.record:
        with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")
    return 0


def summary(results, args, path, avg) -> list[str]:
    load = os.getloadavg()[0]
    lines = [f"## Live capture loss ({time.strftime('%Y-%m-%d', time.gmtime())})", "",
             f"`sudo python bench/live_loss.py --seconds {args.seconds:g} --buffer-mb "
             f"{args.buffer_mb}`: {os.path.basename(path)} ({avg:,.0f} B/frame average) "
             f"replayed onto a veth pair by a paced Python AF_PACKET sender; `shoestring run "
             f"-C` (all analyzers) on the other end; trials of {args.seconds:g} s, rates "
             f"x{args.step:g} from {args.start:,}/s. {os.cpu_count()} cores shared by the "
             f"sender and the workers; load average {load:.2f} at the end.", "",
             "| workers | highest rate with 0 kernel drops | Mbit/s | stopped because |",
             "|---|---|---|---|"]
    for workers, (_rows, best, why) in results.items():
        if best is None:
            lines.append(f"| {workers} | none (dropped at {args.start:,}/s) | - | {why} |")
        else:
            lines.append(f"| {workers} | {best['achieved']:,.0f} packets/s | "
                         f"{best['achieved'] * avg * 8 / 1e6:,.1f} | {why} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
