"""End to end: `shoestring run` on a span port in network namespaces, real traffic.

Three namespaces the test creates: a client, a server and a sensor. The client and the
server are joined by a veth pair; everything crossing the server's end is mirrored
(tc, u32 + mirred, ingress and egress) out of a second veth whose peer, in the sensor's
namespace, is the span port the sensor captures from. All addresses are in 10.77.0.0/24
inside these namespaces. IPv6 is off in them so nothing but the test's own
conversations cross the wire (no router solicitations, no MLD).

Needs root, iproute2 (ip, tc) and a kernel allowing namespaces; skips with the reason
otherwise. The namespaces are deleted whatever happens.
"""

import datetime
import gzip
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CLIENT, SERVER = "10.77.0.1", "10.77.0.2"
BIG = 4 << 20                   # the large transfer: 4 MiB
SCAN = (21, 22, 23, 25)
TIME_LIMIT_S = 20               # each wait is bounded; the whole test stays < 60 s


def _run(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=10)


def _namespaces_usable() -> str | None:
    """None if namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"{tool} is missing: install the Debian package iproute2"
    probe = f"ssprobe{os.getpid() % 100000}"
    res = _run("ip", "netns", "add", probe, check=False)
    if res.returncode != 0:
        return f"`ip netns add` is not allowed here: {res.stderr.strip()}"
    _run("ip", "netns", "del", probe, check=False)
    return None


class Lab:
    def __init__(self, tag: str):
        self.cli, self.srv, self.sen = f"ssc{tag}", f"sss{tag}", f"ssn{tag}"
        self.span = f"span{tag}"
        self.procs: list[subprocess.Popen] = []

    def setup(self) -> None:
        tag = self.cli[3:]
        for ns in (self.cli, self.srv, self.sen):
            _run("ip", "netns", "add", ns)
            _run("ip", "netns", "exec", ns, "sysctl", "-qw",
                 "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        c, s, m = f"vc{tag}", f"vs{tag}", f"vm{tag}"
        _run("ip", "link", "add", c, "netns", self.cli, "type", "veth", "peer", "name", s,
             "netns", self.srv)
        _run("ip", "link", "add", m, "netns", self.srv, "type", "veth", "peer", "name",
             self.span, "netns", self.sen)
        _run("ip", "-n", self.cli, "addr", "add", f"{CLIENT}/24", "dev", c)
        _run("ip", "-n", self.srv, "addr", "add", f"{SERVER}/24", "dev", s)
        for ns, dev in ((self.cli, c), (self.srv, s), (self.srv, m), (self.sen, self.span)):
            _run("ip", "-n", ns, "link", "set", dev, "up")
        _run("ip", "netns", "exec", self.srv, "tc", "qdisc", "add", "dev", s, "clsact")
        for direction in ("ingress", "egress"):
            _run("ip", "netns", "exec", self.srv, "tc", "filter", "add", "dev", s,
                 direction, "protocol", "all", "u32", "match", "u32", "0", "0",
                 "action", "mirred", "egress", "mirror", "dev", m)

    def start(self, ns: str, *cmd, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, **kw)
        self.procs.append(proc)
        return proc

    def teardown(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        for ns in (self.cli, self.srv, self.sen):
            _run("ip", "netns", "del", ns, check=False)


@pytest.fixture
def lab():
    reason = _namespaces_usable()
    if reason:
        pytest.skip(reason)
    lab = Lab(f"{os.getpid() % 100000}")
    try:
        try:
            lab.setup()
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot build the span-port lab ({' '.join(exc.cmd[:6])}...): "
                        f"{exc.stderr.strip()}")
        yield lab
    finally:
        lab.teardown()


def _wait_line(proc: subprocess.Popen, stream, needle: str, limit: float) -> str:
    """Read lines from ``stream`` until one holds ``needle`` (bounded by ``limit``)."""
    deadline = time.monotonic() + limit
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            line = stream.readline()
            if not line and proc.poll() is not None:
                break
            seen.append(line)
            if needle in line:
                return line
        elif proc.poll() is not None:
            break
    raise AssertionError(f"never saw {needle!r}; got {''.join(seen)!r} "
                         f"(exit {proc.poll()})")


def _cert(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.shoestring.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def read_log(where: Path, log: str) -> list[dict]:
    """Records of ``log`` from a log folder (<log>.log) or a store (<day>/<log>.*.log.gz)."""
    paths = sorted(where.glob(f"{log}.log")) + sorted(where.glob(f"*/{log}.*.log.gz"))
    records = []
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            fields = None
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("#fields\t"):
                    fields = line.split("\t")[1:]
                elif line and not line.startswith("#"):
                    records.append(dict(zip(fields, line.split("\t"))))
    return records


def _traffic(lab: Lab, tmp: Path) -> dict:
    root = tmp / "www"
    root.mkdir()
    (root / "index.html").write_text("<html>shoestring lab</html>\n")
    (root / "big.bin").write_bytes(os.urandom(BIG))
    cert, key = _cert(tmp)
    server = lab.start(lab.srv, sys.executable, str(HERE / "netns_servers.py"), "--addr",
                       SERVER, "--root", str(root), "--cert", str(cert), "--key", str(key),
                       "--lifetime", "40")
    _wait_line(server, server.stdout, "ready", TIME_LIMIT_S)
    client = subprocess.run(["ip", "netns", "exec", lab.cli, sys.executable,
                             str(HERE / "netns_client.py"), "--server", SERVER, "--scan",
                             ",".join(map(str, SCAN))],
                            capture_output=True, text=True, timeout=TIME_LIMIT_S)
    assert client.returncode == 0, client.stderr
    server.terminate()
    return json.loads(client.stdout)


def _sensor(lab: Lab, *args) -> subprocess.Popen:
    if "--ntp-server" not in args:
        args = ("--no-ntp", *args)
    sensor = lab.start(lab.sen, sys.executable, "-m", "shoestring.cli", "run", "-i",
                       lab.span, "-C", *args)
    _wait_line(sensor, sensor.stderr, "capturing on", TIME_LIMIT_S)
    return sensor


def _stop(sensor: subprocess.Popen) -> str:
    time.sleep(0.5)                     # the ring hands over a block within 100 ms
    sensor.send_signal(signal.SIGTERM)
    _out, err = sensor.communicate(timeout=TIME_LIMIT_S)
    assert sensor.returncode == 0, err
    return err


def check_logs(where: Path, did: dict) -> None:
    """conn, dns, http and ssl logs hold exactly the client's conversations."""
    expected = {(CLIENT, str(q["port"]), SERVER, "53", "udp") for q in did["dns"]}
    expected |= {(CLIENT, str(h["port"]), SERVER, "80", "tcp") for h in did["http"]}
    expected |= {(CLIENT, str(h["port"]), SERVER, "443", "tcp") for h in did["https"]}
    expected |= {(CLIENT, str(p["src"]), SERVER, str(p["port"]), "tcp") for p in did["scan"]}
    conns = read_log(where, "conn")
    got = [(c["id.orig_h"], c["id.orig_p"], c["id.resp_h"], c["id.resp_p"], c["proto"])
           for c in conns]
    assert sorted(got) == sorted(expected), "conn.log is not exactly the conversations"
    by_port = {(c["id.resp_p"], c["id.orig_p"]): c for c in conns}
    for q in did["dns"]:
        assert by_port[("53", str(q["port"]))]["service"] == "dns"
    for h in did["http"]:
        conn = by_port[("80", str(h["port"]))]
        assert conn["service"] == "http" and conn["conn_state"] == "SF"
        assert int(conn["resp_bytes"]) >= h["length"]
    assert by_port[("443", str(did["https"][0]["port"]))]["service"] == "ssl"
    for p in did["scan"]:
        assert p["state"] == "closed"
        assert by_port[(str(p["port"]), str(p["src"]))]["conn_state"] == "REJ"
    big = by_port[("80", str(did["http"][1]["port"]))]
    assert int(big["resp_bytes"]) >= BIG and big["missed_bytes"] == "0"

    dns = read_log(where, "dns")
    assert sorted(d["query"] for d in dns) == sorted(q["name"] for q in did["dns"])
    for d in dns:
        q = next(q for q in did["dns"] if q["name"] == d["query"])
        assert d["id.orig_p"] == str(q["port"])
        assert d["rcode_name"] == ("NOERROR" if q["answer"] else "NXDOMAIN")
        assert d["answers"] == (q["answer"] or "-")

    http = read_log(where, "http")
    assert sorted((h["id.orig_p"], h["uri"], h["status_code"], h["response_body_len"])
                  for h in http) == sorted(
        (str(h["port"]), h["path"], str(h["status"]), str(h["length"])) for h in did["http"])
    ssl = read_log(where, "ssl")
    assert [(s["id.orig_p"], s["server_name"], s["established"]) for s in ssl] == \
        [(str(did["https"][0]["port"]), "www.shoestring.test", "T")]

    stats = read_log(where, "stats")
    assert stats, "stats.log is written at exit"
    assert sum(int(s["pkts_proc"]) for s in stats) > 100
    assert all(s["pkts_dropped"] == "0" for s in stats)
    assert read_log(where, "capture_loss"), "capture_loss.log is written at exit"


def _store_available() -> bool:
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
        from shoestring.store import archive  # noqa: F401
    except ImportError:
        return False
    return True


def test_span_port_two_workers_into_the_store(lab, tmp_path):
    """Two workers (PACKET_FANOUT) merged into one store; then verify."""
    if not _store_available():
        pytest.skip("the store's dependencies are not installed ([store] extra)")
    started = time.monotonic()
    store = tmp_path / "store"
    init = subprocess.run([sys.executable, "-m", "shoestring.cli", "init", "--store",
                           str(store)], capture_output=True, text=True, timeout=30)
    assert init.returncode == 0, init.stderr
    # The clock is checked against an SNTP responder on the sensor namespace's own
    # loopback, 0.3 s ahead: synced, and every sealed file records it.
    ntp = lab.start(lab.sen, sys.executable, str(HERE / "netns_ntp.py"), "--port", "12300",
                    "--offset", "0.3")
    _wait_line(ntp, ntp.stdout, "ready", TIME_LIMIT_S)
    sensor = _sensor(lab, "--workers", "2", "--store", str(store), "--ntp-server",
                     "127.0.0.1:12300")
    did = _traffic(lab, tmp_path)
    _stop(sensor)
    check_logs(store, did)
    peers = {s["peer"] for s in read_log(store, "stats")}
    assert peers == {"worker-1", "worker-2"}
    (check,) = read_log(store, "ntp_check")
    assert check["reachable"] == "T" and abs(float(check["offset"]) - 0.3) < 0.05
    seals = [json.loads(line) for line in (store / "ledger.jsonl").read_text().splitlines()]
    seals = [e for e in seals if e.get("kind") == "seal"]
    # The seal's clock line carries the measured offset (0.3 s, give or take a few ms of
    # round-trip asymmetry on a loaded machine): read back, not matched to the digit.
    assert seals and all(e["clock_sync"].startswith("synced: offset +0.") for e in seals)
    assert all(abs(float(e["clock_sync"].split()[2]) - 0.3) < 0.05 for e in seals), seals
    verify = subprocess.run([sys.executable, "-m", "shoestring.cli", "verify", "--store",
                             str(store)], capture_output=True, text=True, timeout=30)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert time.monotonic() - started < 60


def test_span_port_one_worker_survives_interface_down_up(lab, tmp_path):
    """One worker into a log folder; the span port goes down and up first."""
    logs = tmp_path / "logs"
    sensor = _sensor(lab, "--logdir", str(logs), "--pcap-ring", str(tmp_path / "ring"))
    _run("ip", "-n", lab.sen, "link", "set", lab.span, "down")
    time.sleep(0.6)
    _run("ip", "-n", lab.sen, "link", "set", lab.span, "up")
    time.sleep(0.6)
    did = _traffic(lab, tmp_path)
    err = _stop(sensor)
    check_logs(logs, did)
    assert f"{lab.span} went down" in err and f"{lab.span} is back up" in err
    notes = [n["note"] for n in read_log(logs, "notice")]
    assert notes[:2] == ["Capture::Interface_Down", "Capture::Interface_Up"]
    # The packet ring kept everything: the DNS exchanges cut back out of it.
    cut = tmp_path / "dns.pcap"
    res = subprocess.run([sys.executable, "-m", "shoestring.cli", "pcap", "--ring",
                          str(tmp_path / "ring"), "--from", "0", "--to", "4102444800",
                          "--host", CLIENT, "--port", "53", "-o", str(cut)],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    from shoestring.capture.pcap import CaptureReader
    assert len(list(CaptureReader(str(cut)))) == 2 * len(did["dns"])


def test_interface_deleted_and_created_again_is_reopened(tmp_path):
    """The capture interface disappears (a USB NIC unplugged, a VM's tap recreated)
    and comes back with a new index: the sensor retries with backoff, reopens it
    (it kept CAP_NET_RAW for this) and captures what comes after."""
    reason = _namespaces_usable()
    if reason:
        pytest.skip(reason)
    tag = f"{os.getpid() % 100000}"
    ns, cap, peer = f"ssr{tag}", f"ra{tag}", f"rb{tag}"

    def make_pair():
        _run("ip", "link", "add", cap, "netns", ns, "type", "veth", "peer", "name", peer,
             "netns", ns)
        _run("ip", "-n", ns, "addr", "add", "10.78.0.2/24", "dev", peer)
        for dev in (cap, peer):
            _run("ip", "-n", ns, "link", "set", dev, "up")
        # A static neighbour: datagrams leave at once, no ARP to wait for.
        _run("ip", "-n", ns, "neigh", "replace", "10.78.0.9", "lladdr",
             "02:00:00:00:00:09", "dev", peer)

    def send(port):
        subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                        "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
                        f"s.sendto(b'after', ('10.78.0.9', {port}))"], check=True, timeout=10)

    procs = []
    try:
        _run("ip", "netns", "add", ns)
        _run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
             "net.ipv6.conf.default.disable_ipv6=1")
        make_pair()
        logs = tmp_path / "logs"
        sensor = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m",
                                   "shoestring.cli", "run", "-i", cap, "-C", "--no-ntp",
                                   "--logdir", str(logs)],
                                  stderr=subprocess.PIPE, text=True)
        procs.append(sensor)
        _wait_line(sensor, sensor.stderr, "capturing on", TIME_LIMIT_S)
        send(5001)
        time.sleep(0.4)
        _run("ip", "-n", ns, "link", "del", cap)           # takes its peer with it
        _wait_line(sensor, sensor.stderr, f"{cap} disappeared", TIME_LIMIT_S)
        time.sleep(1.2)                                    # at least one failed retry
        make_pair()
        _wait_line(sensor, sensor.stderr, f"{cap} captured again", TIME_LIMIT_S)
        send(5002)
        err = _stop(sensor)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        _run("ip", "netns", "del", ns, check=False)
    ports = sorted(int(c["id.resp_p"]) for c in read_log(logs, "conn"))
    assert ports == [5001, 5002]
    notes = [n["note"] for n in read_log(logs, "notice")]
    assert notes[0] == "Capture::Interface_Down" and notes[-1] == "Capture::Interface_Up"
    assert "Capture::Interface_Retry" in notes or "next try" in err
