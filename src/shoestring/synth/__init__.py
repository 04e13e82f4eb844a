"""Synthetic traffic: wire-exact frames, whole conversations and capture files, from a seed.

Used by the test-suite's golden pcaps, by bench/generate.py and to make samples/office.pcap.
frames (headers and checksums) -> tcpconv/conversations (protocol exchanges as (ts, frame)
lists) -> pcapwrite (pcap / pcapng / gzip files). For a golden test:

    import random
    from shoestring.synth import conversations as C, pcapwrite
    rng = random.Random(1)
    c, s = C.endpoint("10.0.0.1", 40000), C.endpoint("10.0.0.2", 80)
    pkts = C.http_get(rng, c, s, 1700000000.0, "example.com", "/")
    pkts += C.tcp_rejected(rng, c._replace(port=40001), s._replace(port=81), 1700000001.0)
    pcapwrite.write_pcap("tests/data/http_get.pcap", sorted(pkts, key=lambda p: p[0]))

Frames for odd cases (bad checksums, lying lengths, fragments, VLANs, IPv6 extension
headers) come from frames.py directly; pcapwrite.pcap_bytes() gives a file in memory to cut.
"""
