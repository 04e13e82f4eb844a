"""capture_loss.log: evidence of measurement loss, as Zeek's
policy/misc/capture-loss.zeek writes it: content gaps against ACKs per interval."""

from ..schema import declare

SCHEMA = declare("capture_loss", "Gaps in TCP content against ACKs seen, per interval.", """
ts time When the measurement was taken.
ts_delta interval Time since the previous measurement.
peer string The process that measured (one per capture worker).
gaps count ACKs for data the sensor never saw (content gaps) in the interval.
acks count ACKs seen in the interval.
percent_lost double gaps / acks, in percent.
""")
