"""dns.log: DNS queries and answers. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("dns", "DNS queries and answers.", f"""
ts time
uid string
{CONN_ID}
proto enum
trans_id count
rtt interval
query string
qclass count
qclass_name string
qtype count
qtype_name string
rcode count
rcode_name string
AA bool
TC bool
RD bool
RA bool
Z count
answers vector[string]
TTLs vector[interval]
rejected bool
opcode count
opcode_name string
""")
