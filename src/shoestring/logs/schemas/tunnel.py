"""tunnel.log: tunnels seen and decapsulated."""

from ..schema import CONN_ID, declare

SCHEMA = declare("tunnel", "Tunnel discovery and closure.", f"""
ts time When the tunnel action happened.
uid string Unique id of the tunnel.
{CONN_ID}
tunnel_type enum Tunnel::IP, Tunnel::GRE, Tunnel::VXLAN, ...
action enum Tunnel::DISCOVER or Tunnel::CLOSE.
""")
