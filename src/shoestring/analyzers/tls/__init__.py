"""TLS/SSL/DTLS analysis: ssl.log (with JA3/JA3S/JA4) and the certificates for x509.log."""
