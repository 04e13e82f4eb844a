"""`shoestring run` as a process on the loopback interface: SIGHUP reloads the filter
from the config file, stats.log comes at its interval, the clock is checked against a
local SNTP responder, SIGTERM flushes and exits 0. Needs root (CAP_NET_RAW)."""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from shoestring.capture import bpf
from shoestring.commands.run import SETTINGS, render_config

from .test_e2e_netns import read_log
from .test_sntp import Responder


def test_every_sensor_setting_is_documented():
    text = render_config()
    for s in SETTINGS:
        assert f"\n{s.name} = " in text and len(s.help) > 20
    import tomllib
    assert set(tomllib.loads(text)["sensor"]) == {s.name for s in SETTINGS}


def _send(port: int, count: int) -> None:
    for i in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"x%d" % i, ("127.0.0.1", port))


def _wait_for(proc, text: str, limit: float = 15.0) -> str:
    deadline, seen = time.monotonic() + limit, ""
    while time.monotonic() < deadline:
        if select.select([proc.stderr], [], [], 0.2)[0]:
            line = proc.stderr.readline()
            seen += line
            if text in line:
                return seen
            if not line:
                break
    raise AssertionError(f"never saw {text!r} in {seen!r}")


@pytest.mark.skipif(os.geteuid() != 0, reason="capturing needs root (CAP_NET_RAW)")
@pytest.mark.skipif(not bpf.available(), reason="filters need libpcap (Debian libpcap0.8)")
def test_sighup_reloads_the_filter_and_sigterm_flushes(tmp_path):
    ports = []
    for _ in range(2):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    a, b = ports
    config = tmp_path / "shoestring.toml"
    config.write_text(f'[sensor]\nfilter = "udp port {a}"\nstats_interval_s = 0.5\n')
    ntp = Responder(0.25)
    logs = tmp_path / "logs"
    proc = subprocess.Popen([sys.executable, "-m", "shoestring.cli", "run", "-i", "lo",
                             "--config", str(config), "--logdir", str(logs),
                             "--ntp-server", f"127.0.0.1:{ntp.port}"],
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(proc, "capturing on lo")
        time.sleep(0.3)
        _send(a, 3)
        _send(b, 3)
        time.sleep(0.5)
        config.write_text(f'[sensor]\nfilter = "udp port {b}"\nstats_interval_s = 0.5\n')
        proc.send_signal(signal.SIGHUP)
        _wait_for(proc, "configuration reloaded")
        _send(a, 2)
        _send(b, 2)
        time.sleep(1.2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        ntp.close()
    assert proc.returncode == 0
    conns = read_log(logs, "conn")
    by_port = {}
    for c in conns:
        by_port.setdefault(int(c["id.resp_p"]), []).append(c)
    assert len(by_port.get(a, [])) == 3, "before SIGHUP only port a is captured"
    assert len(by_port.get(b, [])) == 2, "after SIGHUP only port b is captured"
    stats = read_log(logs, "stats")
    assert len(stats) >= 3 and {s["peer"] for s in stats} == {"zeek"}
    assert sum(int(s["pkts_proc"]) for s in stats) == 2 * (3 + 2)   # lo: sent + received
    checks = read_log(logs, "ntp_check")
    assert checks and checks[0]["server"] == "127.0.0.1" and checks[0]["reachable"] == "T"
    assert abs(float(checks[0]["offset"]) - 0.25) < 0.05 and checks[0]["synced"] == "T"


def test_no_interface_is_a_usage_error(tmp_path, capsys):
    from shoestring.cli import main
    os.environ.pop("SHOESTRING_CONFIG", None)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["run", "--logdir", str(tmp_path)]) == 2
    finally:
        os.chdir(cwd)
    assert "no interface to capture from" in capsys.readouterr().err


def test_bad_filter_is_a_usage_error(tmp_path, capsys):
    if not bpf.available():
        pytest.skip("filters need libpcap (Debian libpcap0.8)")
    from shoestring.cli import main
    assert main(["run", "-i", "lo", "--filter", "tcp prt 80", "--logdir",
                 str(tmp_path)]) == 2
    assert "bad capture filter" in capsys.readouterr().err


def _args(tmp_path, **kw):
    import argparse
    base = dict(interfaces=None, workers=None, filter=None, user=None,
                ignore_checksums=None, pcap_ring=None, ntp_server=None, no_ntp=False,
                stats_interval=None, config=None, logdir=str(tmp_path), store=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_settings_come_from_the_config_then_the_flags(tmp_path):
    from shoestring.commands.run import load_settings
    cfg = tmp_path / "s.toml"
    cfg.write_text('[store]\npath = "x"\n[sensor]\ninterfaces = ["eth1"]\nworkers = 2\n'
                   'stats_interval_s = 60\n')
    s = load_settings(_args(tmp_path, config=str(cfg)))
    assert s["interfaces"] == ["eth1"] and s["workers"] == 2 and s["stats_interval_s"] == 60
    assert s["ntp_servers"] == ["samay1.nic.in", "samay2.nic.in", "time.nplindia.org"]
    s = load_settings(_args(tmp_path, config=str(cfg), interfaces=["eth2"], workers=1,
                            no_ntp=True))
    assert s["interfaces"] == ["eth2"] and s["workers"] == 1 and s["ntp_servers"] == []


@pytest.mark.parametrize("text, message", [
    ('[sensor]\ninterfaces = ["e"]\nworkerz = 2\n', "unknown [sensor] setting(s) workerz"),
    ('[sensor]\ninterfaces = ["e"]\nworkers = "2"\n', "workers must be int"),
    ('[sensor]\ninterfaces = ["e"]\nworkers = 0\n', "between 1 and"),
    ('[sensor\n', "s.toml"),
])
def test_bad_settings_are_named(tmp_path, text, message):
    from shoestring.commands.run import load_settings
    from shoestring.errors import UserError
    cfg = tmp_path / "s.toml"
    cfg.write_text(text)
    with pytest.raises(UserError, match=re.escape(message)):
        load_settings(_args(tmp_path, config=str(cfg)))


def test_ntp_server_ports():
    from shoestring.commands.run import _ntp_servers
    assert _ntp_servers(["a.example", "127.0.0.1:1123"]) == (["a.example", "127.0.0.1"],
                                                             1123)
    assert _ntp_servers(["::1"]) == (["::1"], 123)
