"""weird.log: protocol anomalies, named as Zeek names them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("weird", "Unusual or malformed traffic.", f"""
ts time When the anomaly was seen.
uid string The connection it belongs to, if any.
{CONN_ID}
name string Zeek's name for the anomaly.
addl string Additional detail.
notice bool Whether it also raised a notice.
peer string The sensor that saw it.
source string The layer that reported it.
""")
