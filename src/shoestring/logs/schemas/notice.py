"""notice.log: Notices raised by the sensor. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("notice", "Notices raised by the sensor.", f"""
ts time
uid string
{CONN_ID}
fuid string
file_mime_type string
file_desc string
proto enum
note enum
msg string
sub string
src addr
dst addr
p port
n count
peer_descr string
actions set[enum]
email_dest set[string]
suppress_for interval
remote_location.country_code string
remote_location.region string
remote_location.city string
remote_location.latitude double
remote_location.longitude double
""")
