"""dhcp.log: DHCP leases: the device inventory. Fields and order as Zeek writes them."""

from ..schema import declare

SCHEMA = declare("dhcp", "DHCP leases: the device inventory.", """
ts time
uids set[string]
client_addr addr
server_addr addr
mac string
host_name string
client_fqdn string
domain string
requested_addr addr
assigned_addr addr
lease_time interval
client_message string
server_message string
msg_types vector[string]
duration interval
""")
