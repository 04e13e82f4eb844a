"""conn.log: one record per connection (Zeek's base/protocols/conn/main.zeek)."""

from ..schema import CONN_ID, declare

SCHEMA = declare("conn", "Connection summaries.", f"""
ts time When the first packet was seen.
uid string Unique id of the connection.
{CONN_ID}
proto enum Transport protocol (tcp, udp, icmp, unknown_transport).
service string Application protocols confirmed on the connection, comma-separated.
duration interval Time from first to last packet.
orig_bytes count Payload bytes sent by the originator (from TCP sequence numbers).
resp_bytes count Payload bytes sent by the responder.
conn_state string Zeek's connection state (S0, SF, REJ, ...).
local_orig bool Whether the originator is in a local network.
local_resp bool Whether the responder is in a local network.
missed_bytes count Bytes lost in content gaps.
history string Zeek's history letters: uppercase from the originator.
orig_pkts count Packets from the originator.
orig_ip_bytes count IP-level bytes from the originator.
resp_pkts count Packets from the responder.
resp_ip_bytes count IP-level bytes from the responder.
tunnel_parents set[string] uids of the tunnels this connection was carried in.
ip_proto count IP protocol number.
community_id string Community ID v1 flow hash (extra field).
""")
