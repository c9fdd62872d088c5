"""URL parsing that refuses what two parsers could read differently."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from newsdesk.lib.http.addresses import FetchPolicy
from newsdesk.lib.http.constants import MAX_URL_LENGTH, IPAddress
from newsdesk.lib.http.errors import FetchRefused, _Refusal


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII; IPv6 without brackets
    port: int
    path: str  # path + query, what goes on the request line
    ip: IPAddress | None  # set when the host is an IP literal

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_UNSAFE_RE = re.compile(r"[\x00-\x20\x7f-\x9f\\\u00a0\u1680\u2000-\u200f\u2028-\u202f\ufeff]")
_HOST_RE = re.compile(r"[a-z0-9_\-]+(\.[a-z0-9_\-]+)*")
_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0x[0-9a-f]*")
_DOTTED_QUAD_RE = re.compile(
    r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)
_PORT_RE = re.compile(r"[0-9]{1,5}")


def _ambiguous(why: str) -> _Refusal:
    return _Refusal(f"refused: {why}", "ambiguous_url")


def parse_url(url: str, policy: FetchPolicy | None = None) -> _Target:
    """Validate and normalise an untrusted URL; raise FetchRefused if it is refused."""
    try:
        return _parse(url, policy or FetchPolicy())
    except _Refusal as refusal:
        raise FetchRefused(refusal.reason, url, refusal.kind) from None


def _parse(url: str, policy: FetchPolicy) -> _Target:
    if not isinstance(url, str) or not url:
        raise _ambiguous("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise _ambiguous(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if _UNSAFE_RE.search(url):
        raise _ambiguous("the URL contains spaces, control characters or backslashes")
    match = _SCHEME_RE.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "a URL without a scheme"
        raise _Refusal(f"refused: only http and https URLs are fetched, not {shown}", "bad_scheme")
    rest = url[len(scheme) + 1 :]
    if not rest.startswith("//") or rest.startswith("///"):
        raise _ambiguous("the URL must look like http://host/path")
    rest = rest[2:]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        raise _ambiguous("URLs with a user name or password (user@host) are not fetched")
    host, port = _split_authority(authority, scheme)
    if port in policy.blocked_ports:
        raise _Refusal(f"refused: port {port} belongs to a non-web protocol", "blocked_port")
    host, ip = _normalise_host(host)
    return _Target(scheme, host, port, _request_path(tail), ip)


def _split_authority(authority: str, scheme: str) -> tuple[str, int]:
    default = 443 if scheme == "https" else 80
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise _ambiguous("the IPv6 address is not closed with ']'")
        host, after = authority[: end + 1], authority[end + 1 :]
        if after and not after.startswith(":"):
            raise _ambiguous("unexpected text after the IPv6 address")
        port_text = after[1:] if after else None
    elif authority.count(":") > 1:
        raise _ambiguous("IPv6 addresses must be written in [brackets]")
    else:
        host, _, port_text = authority.partition(":")
        port_text = port_text if ":" in authority else None
    if port_text is None:
        return host, default
    if not _PORT_RE.fullmatch(port_text) or not 0 < int(port_text) < 65536:
        raise _ambiguous(f"{port_text!r} is not a valid port")
    return host, int(port_text)


def _normalise_host(host: str) -> tuple[str, IPAddress | None]:
    if not host:
        raise _ambiguous("the URL has no host")
    if host.startswith("["):
        inner = host[1:-1]
        if "%" in inner:
            raise _ambiguous("IPv6 zone identifiers are not allowed")
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError:
            raise _ambiguous(f"{host} is not a valid IPv6 address") from None
        return str(ip6), ip6
    if "%" in host:
        # WHATWG parsers percent-decode hosts, others do not.
        raise _ambiguous("percent-encoded host names are not allowed")
    ascii_host = _to_ascii(host)
    ip4 = _numeric_host(ascii_host, host)
    return (str(ip4), ip4) if ip4 else (ascii_host, None)


def _to_ascii(host: str) -> str:
    if host.isascii():
        ascii_host = host.lower()
    else:
        try:
            ascii_host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise _ambiguous(f"{host!r} is not a valid internationalised domain name") from None
    bare = ascii_host[:-1] if ascii_host.endswith(".") else ascii_host
    if len(bare) > 253 or not _HOST_RE.fullmatch(bare):
        raise _ambiguous(f"{host!r} is not a valid host name")
    if any(len(label) > 63 for label in bare.split(".")):
        raise _ambiguous(f"{host!r} has a label longer than 63 characters")
    if any(not _valid_punycode(label) for label in bare.split(".") if label.startswith("xn--")):
        raise _ambiguous(f"{host!r} is not a valid internationalised domain name")
    return ascii_host


def _valid_punycode(label: str) -> bool:
    """An ``xn--`` label must decode to something IDNA would itself encode back."""
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
        return bool(decoded) and decoded.encode("idna").decode("ascii").lower() == label
    except UnicodeError:
        return False


def _numeric_host(ascii_host: str, original: str) -> ipaddress.IPv4Address | None:
    """Accept only the canonical dotted quad; refuse every other numeric spelling.

    Browsers (WHATWG) read any host whose last label is a number as IPv4, with octal,
    hex and shortened forms (127.1, 0x7f000001, 0177.0.0.1, 2130706433); other
    parsers read them as names. Refusing them removes the disagreement.
    """
    last = ascii_host.rstrip(".").rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL_RE.fullmatch(last):
        return None
    if original == ascii_host and _DOTTED_QUAD_RE.fullmatch(ascii_host):
        return ipaddress.IPv4Address(ascii_host)
    raise _ambiguous(f"{original} is an unusual numeric spelling of an IP address")


def _request_path(tail: str) -> str:
    tail = tail.split("#", 1)[0]
    if not tail.startswith("/"):
        tail = "/" + tail
    if not tail.isascii():
        # Percent-encode non-ASCII as UTF-8, as browsers do; ASCII stays as given.
        tail = "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode()) for c in tail)
    return tail
