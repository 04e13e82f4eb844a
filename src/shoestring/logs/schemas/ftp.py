"""ftp.log: FTP commands and replies. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("ftp", "FTP commands and replies.", f"""
ts time
uid string
{CONN_ID}
user string
password string
command string
arg string
mime_type string
file_size count
reply_code count
reply_msg string
data_channel.passive bool
data_channel.orig_h addr
data_channel.resp_h addr
data_channel.resp_p port
fuid string
""")
