"""Link layers (decode/link.py), byte by byte: each decoder on a hex frame whose fields are
spelled out, returning (ethertype of the next layer, where it starts) or (None, weird)."""

from __future__ import annotations

import pytest

from shoestring.decode import link
from shoestring.decode.decoder import Decoder

# IPv4 (20 bytes, checksum 66ce) + UDP 53 -> 53, length 8, checksum eb71.
IP4 = bytes.fromhex("4500001c00010000401166ce0a0000010a000002" "003500350008eb71")
DST, SRC = "ffffffffffff", "020000000001"

CASES = [
    # name, decoder, frame hex (fields separated by spaces), expected
    ("ethernet II, IPv4", link.ethernet, f"{DST} {SRC} 0800", (0x0800, 14)),
    ("ethernet II, IPv6", link.ethernet, f"{DST} {SRC} 86dd", (0x86DD, 14)),
    ("802.1Q: TCI 000a (VLAN 10), then IPv4", link.ethernet, f"{DST} {SRC} 8100 000a 0800",
     (0x0800, 18)),
    ("QinQ: 88a8 outer 100, 8100 inner 10", link.ethernet,
     f"{DST} {SRC} 88a8 0064 8100 000a 86dd", (0x86DD, 22)),
    ("old QinQ 9100", link.ethernet, f"{DST} {SRC} 9100 0064 8100 000a 0800", (0x0800, 22)),
    ("MPLS: label 16, TC 0, bottom of stack, TTL 64", link.ethernet,
     f"{DST} {SRC} 8847 00010140", (link.IP_BY_VERSION, 18)),
    ("MPLS: two labels, the second at the bottom", link.ethernet,
     f"{DST} {SRC} 8847 00010040 00020140", (link.IP_BY_VERSION, 22)),
    # PPPoE also says where the PPP payload ends: 14 + 6 + its length field 0x1e = 50.
    ("PPPoE session: ver/type 11, code 00, session 1234, length 001e, PPP 0021 (IPv4)",
     link.ethernet, f"{DST} {SRC} 8864 11 00 1234 001e 0021", (0x0800, 22, 50)),
    ("PPPoE carrying PPP LCP (c021): not IP, not odd", link.ethernet,
     f"{DST} {SRC} 8864 11 00 1234 001e c021", (None, "")),
    ("VN-tag: 4 bytes of tag, then the ethertype", link.ethernet,
     f"{DST} {SRC} 8926 00000000 0800", (0x0800, 20)),
    ("PBB: I-TAG, then a whole customer frame", link.ethernet,
     f"{DST} {SRC} 88e7 00000001 {DST} {SRC} 0800", (0x0800, 32)),
    ("FabricPath: FTag/TTL, then the inner frame", link.ethernet,
     f"{DST} {SRC} 8903 0001 {DST} {SRC} 0800", (0x0800, 30)),
    ("802.3 length + LLC/SNAP with ethertype 0800", link.ethernet,
     f"{DST} {SRC} 0030 aaaa03 000000 0800", (0x0800, 22)),
    ("802.3 length + plain LLC (STP): not IP", link.ethernet, f"{DST} {SRC} 0026 424203",
     (None, "")),
    ("ARP: not IP, not odd", link.ethernet, f"{DST} {SRC} 0806 0001", (None, "")),
    ("13 bytes: no room for an Ethernet header", link.ethernet, f"{DST} {SRC} 08",
     (None, "truncated_link_header")),
    ("VLAN tag cut short", link.ethernet, f"{DST} {SRC} 8100 00", (None, "truncated_link_header")),
    ("VLAN tags nested beyond MAX_LINK_LAYERS", link.ethernet,
     f"{DST} {SRC} " + "8100 0001 " * 17 + "0800", (None, "excessive_link_layers")),
    ("exactly MAX_LINK_LAYERS VLAN tags is still fine", link.ethernet,
     f"{DST} {SRC} " + "8100 0001 " * 16 + "0800", (0x0800, 14 + 64)),
    ("PPP in HDLC framing: ff 03, protocol 0021", link.ppp, "ff03 0021", (0x0800, 4)),
    ("PPP without address/control, protocol 0057 (IPv6)", link.ppp, "0057", (0x86DD, 2)),
    ("Linux SLL: packet type 0, ARPHRD 1, addr len 6, addr (8), protocol 0800",
     link.linux_sll, "0000 0001 0006 020000000001 0000 0800", (0x0800, 16)),
    ("Linux SLL with an 802.1Q tag", link.linux_sll,
     "0000 0001 0006 020000000001 0000 8100 000a 86dd", (0x86DD, 20)),
    ("Linux SLL2: protocol 86dd, reserved, ifindex 2, ARPHRD 1, type 0, len 6, addr (8)",
     link.linux_sll2, "86dd 0000 00000002 0001 00 06 0200000000010000", (0x86DD, 20)),
    ("NFLOG: AF_INET, v0, res 0001; TLV len 8 type 10 (prefix); TLV type 9 (payload)",
     link.nflog, "02 00 0001 0800 0a00 70667800 1c00 0900", (0x0800, 16)),
    ("NFLOG TLV with length < 4 is broken", link.nflog, "02 00 0001 0200 0900",
     (None, "truncated_link_header")),
    ("802.11 data, ToDS, 3 addresses, seq ctl, LLC/SNAP 0800", link.ieee80211,
     "0801 0000 020000000002 020000000001 020000000002 0000 aaaa03000000 0800", (0x0800, 32)),
    ("802.11 QoS data (subtype 8): 2 more header bytes", link.ieee80211,
     "8801 0000 020000000002 020000000001 020000000002 0000 0000 aaaa03000000 86dd",
     (0x86DD, 34)),
    ("802.11 protected data: nothing to decode", link.ieee80211,
     "0841 0000 020000000002 020000000001 020000000002 0000 aaaa03000000 0800", (None, "")),
    ("802.11 beacon (management): nothing to decode", link.ieee80211,
     "8000 0000 ffffffffffff 020000000001 020000000001 0000", (None, "")),
    ("radiotap: version 0, length 8, no fields, then 802.11 data", link.radiotap,
     "00 00 0800 00000000 0801 0000 020000000002 020000000001 020000000002 0000 "
     "aaaa03000000 0800", (0x0800, 40)),
]


@pytest.mark.parametrize("name,decoder,hexframe,expected", CASES, ids=[c[0] for c in CASES])
def test_link_decoders(name, decoder, hexframe, expected):
    frame = bytes.fromhex(hexframe.replace(" ", ""))
    assert decoder(frame, 0) == expected


@pytest.mark.parametrize("header,network_order,expected", [
    ("02000000", False, (0x0800, 4)),           # AF_INET written little-endian (x86)
    ("00000002", False, (0x0800, 4)),           # ... by a big-endian host: still IPv4
    ("1e000000", False, (0x86DD, 4)),           # AF_INET6 as macOS numbers it (30)
    ("18000000", False, (0x86DD, 4)),           # ... as NetBSD/OpenBSD (24)
    ("0000001c", True, (0x86DD, 4)),            # DLT_LOOP is network order: FreeBSD's 28
    ("07000000", False, (None, "")),            # AF_xxx 7: not IP
    ("0200", False, (None, "truncated_link_header")),
])
def test_null_loopback(header, network_order, expected):
    assert link.null_loopback(bytes.fromhex(header), 0, network_order) == expected


@pytest.mark.parametrize("linktype", sorted(link.LINK_DECODERS))
def test_every_link_type_is_named(linktype):
    """read's "not supported" message lists LINK_NAMES: every decoder must have a name."""
    assert link.LINK_NAMES[linktype]


def test_raw_links_pick_ip_by_version():
    decoder = Decoder(ignore_checksums=False)
    for linktype in (link.DLT_RAW, link.DLT_RAW_OLD, link.DLT_RAW_BSD, link.DLT_IPV4):
        out, weirds = [], []
        decoder.decode(1.0, linktype, IP4, out, weirds)
        assert weirds == [] and (out[0].sport, out[0].dport, out[0].proto) == (53, 53, 17)
    out, weirds = [], []
    decoder.decode(1.0, link.DLT_RAW, b"\x75" + IP4[1:], out, weirds)
    assert out == [] and [w.name for w in weirds] == ["unknown_protocol"]


def test_ethernet_padding_is_not_payload():
    """A 60-byte minimum Ethernet frame pads a short IP packet: IP's total length wins."""
    frame = bytes.fromhex(f"{DST}{SRC}0800") + IP4 + b"\x00" * 18
    out, weirds = [], []
    Decoder().decode(1.0, link.DLT_EN10MB, frame, out, weirds)
    assert weirds == [] and out[0].ip_len == 28 and out[0].payload == b""
