"""Names and limits shared by the guarded client's modules."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Sequence[str]]

USER_AGENT_PRODUCT = "Newsdesk/0.1"
PROJECT_URL = "https://github.com/newsdesk"
ACCEPT_ENCODING = "gzip, deflate, br"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = 8192
_READ_CHUNK = 64 * 1024
_DECODE_PIECE = 64 * 1024
# A redirect's body is discarded; reading a little keeps the connection reusable.
_REDIRECT_DRAIN_LIMIT = 64 * 1024

# Ports browsers refuse to fetch from (the WHATWG "bad port" list): talking HTTP to
# SMTP, IRC, LDAP... is how cross-protocol attacks work, and no feed lives there.
DEFAULT_BLOCKED_PORTS: frozenset[int] = frozenset(
    {0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79}
    | {87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137}
    | {139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532}
    | {540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723}
    | {2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669}
    | {6679, 6697, 10080}
)
