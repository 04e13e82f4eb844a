"""stats.log: the sensor's health every 5 minutes and at exit, as Zeek's
policy/misc/stats.zeek writes it (fields and order). Counters Shoestring has no
equivalent for (events, timers) stay unset: written "-", never an invented 0."""

from ..schema import declare

SCHEMA = declare("stats", "Memory, packet and connection counts per interval.", """
ts time When the measurement was taken.
peer string The process that measured (one per capture worker).
mem count Memory in use, in MB.
pkts_proc count Packets processed since the last interval.
bytes_recv count Bytes received since the last interval.
pkts_dropped count Packets the kernel dropped since the last interval.
pkts_link count Packets the kernel saw on the link since the last interval.
pkt_lag interval Wall clock minus the last packet's time.
pkts_filtered count Packets the capture filter rejected since the last interval.
events_proc count Events processed since the last interval.
events_queued count Events queued since the last interval.
active_tcp_conns count TCP connections currently in memory.
active_udp_conns count UDP connections currently in memory.
active_icmp_conns count ICMP connections currently in memory.
tcp_conns count TCP connections seen since the last interval.
udp_conns count UDP connections seen since the last interval.
icmp_conns count ICMP connections seen since the last interval.
timers count Timers scheduled since the last interval.
active_timers count Timers currently scheduled.
files count Files seen since the last interval.
active_files count Files currently being seen.
dns_requests count DNS requests seen since the last interval.
active_dns_requests count DNS requests awaiting a reply.
reassem_tcp_size count Bytes of TCP data in reassembly.
reassem_file_size count Bytes of file data in reassembly.
reassem_frag_size count Bytes of fragments in reassembly.
reassem_unknown_size count Bytes of other data in reassembly.
""")
