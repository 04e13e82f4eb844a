"""Test helper: a real TLS handshake between two stdlib ``ssl`` objects, bytes captured.

The two ends talk through memory BIOs (no socket at all), so every byte each side sends is
recorded in order, as a tap on the wire would see it; the certificate is made on the fly.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_cert(host: str = "test.example", ca: bool = False):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Shoestring, Test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(0x1234ABCD)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host),
                                                        x509.DNSName("*." + host)]), False)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
            .sign(key, hashes.SHA256()))
    return key, cert


def handshake(version=ssl.TLSVersion.TLSv1_3, sni="test.example", alpn=("h2", "http/1.1"),
              server_alpn=("h2",), app_data=b"hello"):
    """[(is_orig, bytes), ...] of a complete handshake plus one application message each
    way; returns (chunks, DER of the server certificate)."""
    key, cert = make_cert()
    with tempfile.TemporaryDirectory() as tmp:
        cpath, kpath = Path(tmp, "c.pem"), Path(tmp, "k.pem")
        cpath.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        kpath.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(cpath, kpath)
    sctx.minimum_version = sctx.maximum_version = version
    sctx.set_alpn_protocols(list(server_alpn))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname, cctx.verify_mode = False, ssl.CERT_NONE
    cctx.minimum_version = cctx.maximum_version = version
    if alpn:
        cctx.set_alpn_protocols(list(alpn))
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = cctx.wrap_bio(c_in, c_out, server_hostname=sni)
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    chunks = []

    def pump():
        moved = False
        for data, is_orig, dest in ((c_out.read(), True, s_in), (s_out.read(), False, c_in)):
            if data:
                chunks.append((is_orig, data))
                dest.write(data)
                moved = True
        return moved

    done = {client: False, server: False}
    for _ in range(20):          # a handful of flights; bounded in case of a stall
        for end in (client, server):
            if not done[end]:
                try:
                    end.do_handshake()
                    done[end] = True
                except ssl.SSLWantReadError:
                    pass
        if not pump() and all(done.values()):
            break
    client.write(app_data)
    pump()
    server.read()
    server.write(app_data)
    pump()
    return chunks, cert.public_bytes(serialization.Encoding.DER)
