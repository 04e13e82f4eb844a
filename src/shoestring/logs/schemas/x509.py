"""x509.log: Certificates seen in TLS. Fields and order as Zeek writes them."""

from ..schema import declare

SCHEMA = declare("x509", "Certificates seen in TLS.", """
ts time
fingerprint string
certificate.version count
certificate.serial string
certificate.subject string
certificate.issuer string
certificate.not_valid_before time
certificate.not_valid_after time
certificate.key_alg string
certificate.sig_alg string
certificate.key_type string
certificate.key_length count
certificate.exponent string
certificate.curve string
san.dns vector[string]
san.uri vector[string]
san.email vector[string]
san.ip vector[addr]
basic_constraints.ca bool
basic_constraints.path_len count
host_cert bool
client_cert bool
""")
