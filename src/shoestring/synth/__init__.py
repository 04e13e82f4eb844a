"""Synthetic traffic: wire-exact frames, whole conversations and capture files, from a seed.

Used by the test-suite's golden pcaps, by bench/generate.py and to make samples/office.pcap.
frames (headers and checksums) -> tcpconv/conversations (protocol exchanges as (ts, frame)
lists) -> pcapwrite (pcap / pcapng / gzip files).
"""
