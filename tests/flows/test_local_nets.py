"""local_orig / local_resp: Zeek's private and special-purpose address space by default,
or the networks the user configures."""

from __future__ import annotations

import ipaddress

import pytest

from shoestring.flows.local_nets import ZEEK_DEFAULT_LOCAL_NETS, LocalNets


def packed(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


@pytest.mark.parametrize("addr,local", [
    ("10.1.2.3", True), ("172.16.0.1", True), ("172.31.255.255", True), ("172.32.0.1", False),
    ("192.168.0.1", True), ("192.169.0.1", False), ("100.64.0.1", True), ("100.128.0.1", False),
    ("127.0.0.1", True), ("169.254.1.1", True), ("198.18.0.1", True), ("198.20.0.1", False),
    ("192.0.2.5", True), ("203.0.113.9", True), ("8.8.8.8", False), ("93.184.216.34", False),
    ("255.255.255.255", True), ("0.0.0.0", True),
    ("fe80::1", True), ("fd00::1", True), ("fc00::1", True), ("::1", True), ("2001:db8::1", True),
    ("2606:4700::1", False), ("2001:4860::8888", False), ("::ffff:10.0.0.1", True),
])
def test_default_is_zeeks_private_space(addr, local):
    assert (packed(addr) in LocalNets()) is local


def test_configured_networks_replace_the_default():
    nets = LocalNets(["203.0.113.0/24", "2001:db8:1::/48", "10.0.0.1/8"])   # host bits allowed
    assert packed("203.0.113.7") in nets and packed("2001:db8:1::5") in nets
    assert packed("10.200.0.1") in nets
    assert packed("192.168.1.1") not in nets and packed("2001:db8:2::1") not in nets


def test_every_default_network_parses_and_its_edges_are_local():
    nets = LocalNets()
    for text in ZEEK_DEFAULT_LOCAL_NETS:
        net = ipaddress.ip_network(text)
        assert net.network_address.packed in nets
        assert net.broadcast_address.packed in nets


def test_cache_is_bounded(monkeypatch):
    from shoestring.flows import local_nets
    monkeypatch.setattr(local_nets, "MAX_CACHE", 100)
    nets = LocalNets()
    for i in range(1000):
        assert (i.to_bytes(4, "big") in nets) is True           # 0.0.0.0/8
    assert len(nets._cache) <= 100
