"""FTP conversations from Zeek's test traces, stored in corpus.json.gz: ftp/ipv4.pcap,
ftp/ftp-with-numbers-in-filename.pcap (control connection seen from mid-session) and
globus-url-copy-bad-encoding.pcap (GridFTP with GSI ADAT, first segments only). Data
connections keep their first 8 KiB (enough to sniff the type). Each connection:
endpoints and (ts, is_orig, payload) segments, retransmissions removed."""

import base64
import gzip
import json
from pathlib import Path


def load():
    raw = json.loads(gzip.decompress((Path(__file__).parent / "corpus.json.gz").read_bytes()))
    return {name: [(tuple(c["endpoints"]),
                    [(ts, o, base64.b64decode(p)) for ts, o, p in c["segments"]])
                   for c in conns]
            for name, conns in raw.items()}


CORPUS = load()
