"""smtp.log: SMTP mail transactions. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("smtp", "SMTP mail transactions.", f"""
ts time
uid string
{CONN_ID}
trans_depth count
helo string
mailfrom string
rcptto set[string]
date string
from string
to set[string]
cc set[string]
reply_to string
msg_id string
in_reply_to string
subject string
x_originating_ip addr
first_received string
second_received string
last_reply string
path vector[addr]
user_agent string
tls bool
fuids vector[string]
""")
