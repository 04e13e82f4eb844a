"""SMTP conversations from Zeek's test traces, stored in corpus.json.gz:
smtp.pcap (basic), smtp-one-side-only.pcap, smtp-attachment-msg.pcap,
smtp-mail-transactions-invalid.pcap and http/connect-with-smtp.pcap (the SMTP part
after the HTTP CONNECT). Each connection: endpoints and (ts, is_orig, payload) segments
in capture order, retransmissions removed."""

import base64
import gzip
import json
from pathlib import Path


def load() -> dict[str, list[tuple[tuple, list[tuple[float, bool, bytes]]]]]:
    raw = json.loads(gzip.decompress((Path(__file__).parent / "corpus.json.gz").read_bytes()))
    return {name: [(tuple(c["endpoints"]),
                    [(ts, o, base64.b64decode(p)) for ts, o, p in c["segments"]])
                   for c in conns]
            for name, conns in raw.items()}


CORPUS = load()
