"""http.log: HTTP requests and replies. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("http", "HTTP requests and replies.", f"""
ts time
uid string
{CONN_ID}
trans_depth count
method string
host string
uri string
referrer string
version string
user_agent string
origin string
request_body_len count
response_body_len count
status_code count
status_msg string
info_code count
info_msg string
tags set[enum]
username string
password string
proxied set[string]
orig_fuids vector[string]
orig_filenames vector[string]
orig_mime_types vector[string]
resp_fuids vector[string]
resp_filenames vector[string]
resp_mime_types vector[string]
""")
