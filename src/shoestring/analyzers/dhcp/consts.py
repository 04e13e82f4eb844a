"""DHCP code -> name tables and option codes (data only), after Zeek's dhcp/consts.zeek."""

# Message types (option 53). RFC 2132, 3203, 4388, 6926, 7724; names as Zeek logs them.
MESSAGE_TYPES = {
    1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
    7: "RELEASE", 8: "INFORM", 9: "FORCERENEW", 10: "LEASEQUERY", 11: "LEASEUNASSIGNED",
    12: "LEASEUNKNOWN", 13: "LEASEACTIVE", 14: "BULKLEASEQUERY", 15: "LEASEQUERYDONE",
    16: "ACTIVELEASEQUERY", 17: "LEASEQUERYSTATUS", 18: "TLS",
}


def message_type_name(code: int) -> str:
    """Zeek's rendering, including its default for codes it does not know."""
    return MESSAGE_TYPES.get(code) or f"unknown-message-type-{code}"


# BOOTP op codes (RFC 2131 section 2).
BOOTREQUEST = 1
BOOTREPLY = 2

# The magic cookie that says "options follow, DHCP/BOOTP style" (RFC 2131 section 3).
MAGIC_COOKIE = 0x63825363

# Option codes the analyzer reads (RFC 2132).
OPT_PAD = 0
OPT_SUBNET_MASK = 1
OPT_ROUTER = 3
OPT_DNS_SERVERS = 6
OPT_HOST_NAME = 12
OPT_DOMAIN_NAME = 15
OPT_REQUESTED_ADDR = 50
OPT_LEASE_TIME = 51
OPT_MSG_TYPE = 53
OPT_SERVER_ID = 54
OPT_PARAM_LIST = 55
OPT_MESSAGE = 56
OPT_VENDOR_CLASS = 60
OPT_CLIENT_ID = 61
OPT_CLIENT_FQDN = 81
OPT_END = 255

# Hardware type 1 = Ethernet (ARP hardware types, RFC 1700): Zeek takes the MAC from
# a client identifier only when it is of this type.
HWTYPE_ETHERNET = 1

# Weird names (Zeek has none of its own for these; it reports a protocol violation).
WEIRD_TRUNCATED = "DHCP_truncated"
WEIRD_BAD_COOKIE = "DHCP_bad_cookie"
WEIRD_BAD_OPTION_LEN = "DHCP_bad_option_length"
WEIRD_NO_END = "DHCP_options_without_end"
WEIRD_NO_MSG_TYPE = "DHCP_no_message_type"
