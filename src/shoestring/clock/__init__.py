"""The sensor's clock: SNTP checks against configured NTP servers (sntp.py is the
sans-IO packet format, check.py the sockets and the verdict)."""
