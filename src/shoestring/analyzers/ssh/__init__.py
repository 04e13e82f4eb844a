"""SSH analyzer: ssh.log (banners, negotiated algorithms, host key, auth inference, HASSH)."""

from ..base import AnalyzerSpec
from .analyzer import SshAnalyzer
from .parse import looks_like_ssh

# Zeek registers 22/tcp; its dpd.sig finds SSH on any port by the "SSH-<1|2>." banner.
SPEC = AnalyzerSpec(name="ssh", factory=SshAnalyzer, tcp_ports=frozenset({22}),
                    signature=looks_like_ssh)

__all__ = ["SPEC", "SshAnalyzer"]
