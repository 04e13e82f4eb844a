"""ntp_check.log: the sensor's clock checked against NTP servers by SNTP (RFC 4330),
one record per server per check, at start and hourly. Shoestring's own log (Zeek has
none); its evidence backs the timestamps of every other log."""

from ..schema import declare

SCHEMA = declare("ntp_check", "The sensor clock against NTP servers.", """
ts time When the check was made (the sensor's clock).
server string The NTP server asked, as configured.
address addr The address that answered (or was asked, when none answered).
reachable bool Whether a valid reply came back in time.
offset interval Server clock minus sensor clock, in seconds (RFC 4330 section 5).
delay interval Round-trip delay, in seconds.
stratum count The server's stratum.
ref_id string The server's reference identifier.
synced bool Whether the offset is within the tolerance.
error string Why no usable reply came back.
""")
