"""XMPP constants (RFC 6120) and limits, data only."""

# Tags Zeek's XMPP analyzer acts on (xmpp-analyzer.pac).
STREAM = "stream:stream"            # from the client: confirms XMPP
STARTTLS = "starttls"               # RFC 6120 5.4.2.1: the client asks for TLS
PROCEED = "proceed"                 # 5.4.2.3: the server agrees; TLS follows
# Tags after which STARTTLS can no longer come (authenticated, or server dialback):
# Zeek stops analyzing there.
PAST_STARTTLS = frozenset({"success", "message", "db:result", "db:verify", "presence"})

# Limits.
# An opening tag's bytes: stream headers and stanzas' start tags are a few hundred
# bytes; 8 KiB leaves room for long namespace lists, more is not a tag.
MAX_TAG = 8192

# Zeek's ports (base/protocols/xmpp/main.zeek): client-to-server and server-to-server.
PORTS = frozenset({5222, 5269})
