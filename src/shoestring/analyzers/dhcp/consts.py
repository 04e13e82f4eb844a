"""DHCP code -> name tables and option codes (data only), after Zeek's dhcp/consts.zeek."""

from typing import Final

# Message types (option 53). RFC 2132, 3203, 4388, 6926, 7724; names as Zeek logs them.
MESSAGE_TYPES: Final = {
    1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
    7: "RELEASE", 8: "INFORM", 9: "FORCERENEW", 10: "LEASEQUERY", 11: "LEASEUNASSIGNED",
    12: "LEASEUNKNOWN", 13: "LEASEACTIVE", 14: "BULKLEASEQUERY", 15: "LEASEQUERYDONE",
    16: "ACTIVELEASEQUERY", 17: "LEASEQUERYSTATUS", 18: "TLS",
}


def message_type_name(code: int) -> str:
    """Zeek's rendering, including its default for codes it does not know."""
    return MESSAGE_TYPES.get(code) or f"unknown-message-type-{code}"


# BOOTP op codes (RFC 2131 section 2).
BOOTREQUEST: Final = 1
BOOTREPLY: Final = 2

# The magic cookie that says "options follow, DHCP/BOOTP style" (RFC 2131 section 3).
MAGIC_COOKIE: Final = 0x63825363

# Option codes the analyzer reads (RFC 2132).
OPT_PAD: Final = 0
OPT_SUBNET_MASK: Final = 1
OPT_ROUTER: Final = 3
OPT_DNS_SERVERS: Final = 6
OPT_HOST_NAME: Final = 12
OPT_DOMAIN_NAME: Final = 15
OPT_REQUESTED_ADDR: Final = 50
OPT_LEASE_TIME: Final = 51
OPT_MSG_TYPE: Final = 53
OPT_SERVER_ID: Final = 54
OPT_PARAM_LIST: Final = 55
OPT_MESSAGE: Final = 56
OPT_VENDOR_CLASS: Final = 60
OPT_CLIENT_ID: Final = 61
OPT_CLIENT_FQDN: Final = 81
OPT_END: Final = 255

# Hardware type 1 = Ethernet (ARP hardware types, RFC 1700): Zeek takes the MAC from
# a client identifier only when it is of this type.
HWTYPE_ETHERNET: Final = 1

# Weird names (Zeek has none of its own for these; it reports a protocol violation).
WEIRD_TRUNCATED: Final = "DHCP_truncated"
WEIRD_BAD_COOKIE: Final = "DHCP_bad_cookie"
WEIRD_BAD_OPTION_LEN: Final = "DHCP_bad_option_length"
WEIRD_NO_END: Final = "DHCP_options_without_end"
WEIRD_NO_MSG_TYPE: Final = "DHCP_no_message_type"
