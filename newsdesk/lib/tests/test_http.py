"""Behaviour of the guarded HTTP client against a hostile local server.

Only loopback addresses are ever contacted: the allow-list opens exactly 127.0.0.1
for the hostile server, and every other address is refused before any packet.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from newsdesk.lib import http
from newsdesk.lib.http import (
    FetchError,
    FetchPolicy,
    FetchRefused,
    HttpClient,
    Response,
    classify_address,
    describe,
    parse_url,
    user_agent,
)
from newsdesk.lib.http.response import MAX_DELTA_SECONDS
from newsdesk.lib.tests.hostile_server import HostileServer, bombs

CAP = 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    srv = HostileServer().start()
    yield srv
    srv.stop()


def _policy(**overrides: object) -> FetchPolicy:
    options: dict[str, object] = {
        "allow_networks": ("127.0.0.1/32",),
        "deadline": 5.0,
        "max_bytes": CAP,
    }
    options.update(overrides)
    return FetchPolicy(**options)  # type: ignore[arg-type]


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(_policy()) as c:
        yield c


@pytest.fixture
def strict() -> Iterator[HttpClient]:
    """The default policy: nothing but the public internet."""
    with HttpClient() as c:
        yield c


def _refusal(client: HttpClient, url: str) -> FetchRefused:
    with pytest.raises(FetchRefused) as info:
        client.fetch(url)
    return info.value


def _error(client: HttpClient, url: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        client.fetch(url)
    assert not isinstance(info.value, FetchRefused)
    return info.value


# ------------------------------------------------------------ address classifier


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("0.0.0.0", "'this network'"),
        ("0.1.2.3", "'this network'"),
        ("10.0.0.5", "private network"),
        ("172.16.0.1", "private network"),
        ("172.31.255.255", "private network"),
        ("192.168.1.1", "private network"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("169.254.169.254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("192.0.2.10", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1"),
        ("::ffff:10.1.2.3", "IPv4-mapped form of 10.1.2.3"),
        ("::ffff:0:a01:203", "IPv4-mapped form of 10.1.2.3"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254, which is a cloud metadata"),
        ("64:ff9b:1::a00:1", "local-use NAT64 form of 10.0.0.1"),
        ("64:ff9b:1::808:808", "local-use NAT64 address"),
        ("2002:7f00:1::", "6to4 form of 127.0.0.1"),
        ("2002:c0a8:101::1", "6to4 form of 192.168.1.1"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fd00:ec2::254", "cloud metadata"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
        ("2002:808:808::1", None),
    ],
)
def test_it_classifies_addresses(address: str, expected: str | None) -> None:
    reason = classify_address(address)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason


def test_it_words_refusals_plainly() -> None:
    assert FetchPolicy().refusal("10.0.0.5") == "refused: 10.0.0.5 is a private network address"


def test_it_allows_exactly_the_listed_networks() -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",))
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("127.0.0.2") is not None
    assert policy.refusal("::1") is not None
    assert policy.refusal("::ffff:127.0.0.1") is not None


# ------------------------------------------------------------------- URL refusals


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/feed.xml",
        "gopher://example.com:70/_GET",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "example.com/feed.xml",
    ],
)
def test_it_refuses_non_http_schemes(strict: HttpClient, url: str) -> None:
    assert _refusal(strict, url).kind == "bad_scheme"


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "0.0.0.0",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.0.1",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "[fd00:ec2::254]",
        "100.100.100.200",
        "[fe80::1]",
    ],
)
def test_it_refuses_internal_address_literals_before_connecting(
    strict: HttpClient, host: str
) -> None:
    refusal = _refusal(strict, f"http://{host}:8080/feed")
    assert refusal.kind == "blocked_address"
    assert refusal.reason.startswith("refused: ")


@pytest.mark.parametrize(
    "host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "127.0.0.1.", "1.2.3"]
)
def test_it_refuses_unusual_numeric_host_spellings(strict: HttpClient, host: str) -> None:
    refusal = _refusal(strict, f"http://{host}/")
    assert refusal.kind == "ambiguous_url"
    assert "numeric spelling" in refusal.reason


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com\\@127.0.0.1/",
        "http://example.com\\feed",
        "http://user@example.com/",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://exa mple.com/",
        "http://example.com/\nHost: evil",
        " http://example.com/",
        "http://example.com:99999/",
        "http://example.com:0/",
        "http://example.com:80a/",
        "http://example.com:/",
        "http:example.com/",
        "http:///example.com/",
        "http://%31%32%37.0.0.1/",
        "http://exa$mple.com/",
        "http://[::1%25eth0]/",
        "http://[::1/",
        "http://::1/",
        "http://xn--a.xn--/",
        "http://a..b/",
        "http:// /",
        "http://１２７.０.０.１/",
    ],
)
def test_it_refuses_urls_parsers_disagree_on(strict: HttpClient, url: str) -> None:
    assert _refusal(strict, url).kind == "ambiguous_url"


def test_it_refuses_ports_of_other_protocols(strict: HttpClient) -> None:
    refusal = _refusal(strict, "http://example.com:25/")
    assert refusal.kind == "blocked_port"


def test_it_accepts_and_normalises_good_urls() -> None:
    target = parse_url("HTTPS://Example.COM:443/a%20b?q=ü#frag")
    assert target.url == "https://example.com/a%20b?q=%C3%BC"
    assert parse_url("http://example.com").url == "http://example.com/"
    assert parse_url("http://example.com:8080?x").url == "http://example.com:8080/?x"
    assert parse_url("http://bücher.example/x").host == "xn--bcher-kva.example"
    assert parse_url("http://[2606:4700::1111]:8080/").port == 8080


def test_it_refuses_a_hostname_resolving_to_loopback(strict: HttpClient) -> None:
    refusal = _refusal(strict, "http://localhost:8080/feed")
    assert refusal.kind == "blocked_address"
    assert "loopback" in refusal.reason


def test_it_refuses_loopback_without_the_allow_list(
    server: HostileServer, strict: HttpClient
) -> None:
    assert _refusal(strict, server.url("/ok")).kind == "blocked_address"


# --------------------------------------------------------- connect-time checking


def test_it_refuses_a_redirect_to_another_loopback_address(
    server: HostileServer, client: HttpClient
) -> None:
    target = f"http://127.0.0.2:{server.port}/ok"
    refusal = _refusal(client, server.url(f"/redirect?to={target}"))
    assert refusal.kind == "blocked_address"
    assert "127.0.0.2 is a loopback address" in refusal.reason
    assert refusal.url == target


def test_it_refuses_a_redirect_to_ipv6_loopback(server: HostileServer, client: HttpClient) -> None:
    refusal = _refusal(client, server.url(f"/redirect?to=http://[::1]:{server.port}/ok"))
    assert refusal.kind == "blocked_address"


def test_it_refuses_a_redirect_to_a_name_resolving_to_a_refused_address(
    server: HostileServer,
) -> None:
    resolver = {"feeds.test": ["127.0.0.1"], "rebind.test": ["127.0.0.2"]}
    with HttpClient(_policy(), resolver=lambda host: resolver[host]) as c:
        assert c.fetch(f"http://feeds.test:{server.port}/ok").body == b"hello"
        refusal = _refusal(c, f"http://feeds.test:{server.port}/redirect?to=http://rebind.test/")
    assert refusal.kind == "blocked_address"


def test_it_checks_the_connected_peer_not_only_the_resolved_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: whatever the screening said, the connected socket decides."""
    other = HostileServer(host="127.0.0.2").start()
    try:
        policy = _policy()
        real = FetchPolicy.refusal
        calls: list[str] = []

        def lenient_screen_then_real(self: FetchPolicy, address: object) -> str | None:
            calls.append(str(address))
            return None if len(calls) == 1 else real(self, address)  # type: ignore[arg-type]

        monkeypatch.setattr(FetchPolicy, "refusal", lenient_screen_then_real)
        with HttpClient(policy, resolver=lambda host: ["127.0.0.2"]) as c:
            refusal = _refusal(c, f"http://rebind.test:{other.port}/ok")
        assert refusal.kind == "blocked_address"
        assert calls == ["127.0.0.2", "127.0.0.2"]
        assert not [r for r in other.requests if r.path == "/ok"]  # nothing was sent
    finally:
        other.stop()


# ----------------------------------------------------------------- normal answers


def test_it_returns_a_feed_with_its_metadata(server: HostileServer, client: HttpClient) -> None:
    response = client.fetch(server.url("/feed.xml"))
    assert response.status == 200
    assert response.body.startswith(b"<?xml")
    assert response.content_type == "application/rss+xml"
    assert response.charset == "utf-8"
    assert response.address == ("127.0.0.1", server.port)
    assert response.url == response.requested_url == server.url("/feed.xml")
    assert response.headers["CONTENT-TYPE"].startswith("application/rss+xml")
    assert response.redirects == []
    assert 0 < response.elapsed < 5


def test_it_returns_html_when_xml_was_expected(server: HostileServer, client: HttpClient) -> None:
    response = client.fetch(server.url("/html"))
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.charset == "iso-8859-1"


def test_it_returns_an_empty_200(server: HostileServer, client: HttpClient) -> None:
    response = client.fetch(server.url("/empty"))
    assert (response.status, response.body) == (200, b"")


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/gone", 410), ("/broken", 500)])
def test_it_returns_error_statuses_as_responses(
    server: HostileServer, client: HttpClient, path: str, status: int
) -> None:
    response = client.fetch(server.url(path))
    assert response.status == status
    assert response.body == str(status).encode() + response.body[3:]


def test_it_parses_retry_after_seconds(server: HostileServer, client: HttpClient) -> None:
    response = client.fetch(server.url("/retry-seconds"))
    assert response.status == 429
    assert response.retry_after == 120.0


def test_it_parses_retry_after_http_dates(server: HostileServer, client: HttpClient) -> None:
    response = client.fetch(server.url("/retry-date"))
    assert response.status == 503
    assert response.retry_after is not None and 3590 < response.retry_after <= 3600


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("\u00b2", None),  # a superscript two: a digit to str.isdigit(), not to int()
        ("\u0661\u0662", None),  # Arabic-Indic digits
        ("9" * 400, float(MAX_DELTA_SECONDS)),  # would overflow float()
        ("9" * 5000, float(MAX_DELTA_SECONDS)),  # past int()'s digit limit
        ("-5", None),
        ("soon", None),
        ("", None),
    ],
)
def test_a_retry_after_header_of_any_shape_gives_seconds_or_nothing(
    value: str, seconds: float | None
) -> None:
    assert http.parse_retry_after(value) == seconds


def test_it_reads_chunked_responses(server: HostileServer, client: HttpClient) -> None:
    response = client.fetch(server.url("/chunked"))
    assert response.body == b"chunk one, chunk two, chunk three"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/gzip", b"compressed hello " * 100),
        ("/raw-deflate", b"raw deflate " * 50),
        ("/brotli", b"brotli hello " * 100),
    ],
)
def test_it_decodes_compressed_bodies(
    server: HostileServer, client: HttpClient, path: str, expected: bytes
) -> None:
    assert client.fetch(server.url(path)).body == expected


def test_it_sends_a_user_agent_naming_the_project(
    server: HostileServer, client: HttpClient
) -> None:
    client.fetch(server.url("/echo?say=ua"), subscribers=12)
    sent = [r for r in server.requests if r.query.get("say") == "ua"][-1].headers
    assert sent["user-agent"] == "Newsdesk/0.1 (+https://github.com/newsdesk; 12 subscribers)"
    assert "gzip" in sent["accept-encoding"] and "br" in sent["accept-encoding"]
    assert user_agent() == "Newsdesk/0.1 (+https://github.com/newsdesk)"
    assert user_agent(1).endswith("; 1 subscriber)")


def test_it_gets_304_with_the_new_validators(server: HostileServer, client: HttpClient) -> None:
    first = client.fetch(server.url("/etag"))
    assert (first.status, first.etag) == (200, '"v1"')
    again = client.fetch(server.url("/etag"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.status == 304
    assert again.body == b""
    assert again.etag == '"v2"'
    assert again.last_modified == "Tue, 01 Apr 2025 10:00:00 GMT"
    sent = server.last("/etag").headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 31 Mar 2025 10:00:00 GMT"


# ---------------------------------------------------------------------- redirects


def test_it_follows_redirects_and_records_them(server: HostileServer, client: HttpClient) -> None:
    response = client.fetch(server.url("/chain?n=2"))
    assert response.status == 200
    assert response.body == b"hello"
    assert response.url == server.url("/ok")
    assert response.requested_url == server.url("/chain?n=2")
    assert response.redirects == [
        server.url("/chain?n=1"),
        server.url("/chain?n=0"),
        server.url("/ok"),
    ]


def test_it_stops_redirect_chains_over_the_cap(server: HostileServer, client: HttpClient) -> None:
    assert _error(client, server.url("/chain?n=9")).kind == "too_many_redirects"
    with HttpClient(_policy(max_redirects=1)) as c:
        assert _error(c, server.url("/chain?n=1")).kind == "too_many_redirects"


def test_it_detects_redirect_loops(server: HostileServer, client: HttpClient) -> None:
    assert _error(client, server.url("/loop-a")).kind == "redirect_loop"


# --------------------------------------------------------------------- size caps


def test_it_stops_a_body_over_the_cap(server: HostileServer, client: HttpClient) -> None:
    error = _error(client, server.url(f"/big?size={CAP + 1}"))
    assert error.kind == "too_large"
    assert len(client.fetch(server.url(f"/big?size={CAP}")).body) == CAP


def test_it_stops_an_unannounced_body_over_the_cap(
    server: HostileServer, client: HttpClient
) -> None:
    assert _error(client, server.url("/big-unannounced")).kind == "too_large"


@pytest.mark.parametrize("kind", ["gzip", "deflate", "br"])
def test_it_stops_compression_bombs_at_the_cap_with_bounded_memory(
    server: HostileServer, client: HttpClient, kind: str
) -> None:
    bombs()  # built before measuring: the server's work is not the client's memory
    tracemalloc.start()
    try:
        error = _error(client, server.url(f"/bomb-{kind}"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.kind == "too_large"
    assert peak < 3 * CAP, f"peak {peak} bytes for a {CAP}-byte cap"


# ------------------------------------------------------------ deadlines and breaks


@pytest.mark.parametrize("path", ["/drip", "/drip-headers", "/hang"])
def test_it_stops_slow_servers_at_the_total_deadline(server: HostileServer, path: str) -> None:
    # read_timeout is long on purpose: only the total deadline can stop these.
    with HttpClient(_policy(deadline=1.0, read_timeout=30.0)) as c:
        started = time.monotonic()
        error = _error(c, server.url(path))
        elapsed = time.monotonic() - started
    assert error.kind == "timeout"
    assert 0.9 < elapsed < 2.0


def test_it_reports_a_connection_reset_mid_body(server: HostileServer, client: HttpClient) -> None:
    assert _error(client, server.url("/reset")).kind == "protocol"


def test_it_reports_a_body_cut_short(server: HostileServer, client: HttpClient) -> None:
    assert _error(client, server.url("/truncated")).kind == "protocol"


def test_it_reports_a_non_http_answer(server: HostileServer, client: HttpClient) -> None:
    assert _error(client, server.url("/garbage")).kind == "protocol"


def test_it_reports_a_refused_connection(client: HttpClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = _error(client, f"http://127.0.0.1:{port}/")
    assert error.kind == "connect"


def test_it_reports_an_unresolvable_host() -> None:
    def no_such_host(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with HttpClient(_policy(), resolver=no_such_host) as c:
        assert _error(c, "http://nowhere.test/").kind == "connect"


# ------------------------------------------------------------ pooling and threads


def test_it_reuses_keep_alive_connections(server: HostileServer, client: HttpClient) -> None:
    first = client.fetch(server.url("/connection-id")).body
    second = client.fetch(server.url("/connection-id")).body
    assert first == second


def test_it_survives_the_server_closing_an_idle_connection(
    server: HostileServer, client: HttpClient
) -> None:
    client.fetch(server.url("/connection-id"))
    # /garbage closes its connection: the next fetch must open a fresh one.
    with pytest.raises(FetchError):
        client.fetch(server.url("/garbage"))
    assert client.fetch(server.url("/ok")).body == b"hello"


def test_it_is_safe_to_share_between_threads(server: HostileServer, client: HttpClient) -> None:
    def get(i: int) -> bytes:
        return client.fetch(server.url(f"/echo?say=n{i}")).body

    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(get, range(48)))
    assert bodies == [f"n{i}".encode() for i in range(48)]


def test_a_slow_fetch_does_not_hold_up_others(server: HostileServer) -> None:
    with HttpClient(_policy(deadline=1.0)) as c:
        errors: list[FetchError] = []

        def hang() -> None:
            try:
                c.fetch(server.url("/hang"))
            except FetchError as exc:
                errors.append(exc)

        slow = threading.Thread(target=hang)
        slow.start()
        started = time.monotonic()
        assert c.fetch(server.url("/ok")).body == b"hello"
        assert time.monotonic() - started < 0.5
        slow.join()
        assert [e.kind for e in errors] == ["timeout"]


def test_the_module_fetch_shares_a_client_per_policy(server: HostileServer) -> None:
    policy = _policy()
    first = http.fetch(server.url("/connection-id"), policy=policy)
    second = http.fetch(server.url("/connection-id"), policy=_policy())
    assert first.body == second.body
    with pytest.raises(FetchRefused):
        http.fetch(server.url("/ok"))


# ------------------------------------------------------------------------ describe


def test_it_describes_a_response_as_json(server: HostileServer, client: HttpClient) -> None:
    outcome = describe(client.fetch(server.url("/chain?n=0")))
    assert json.loads(json.dumps(outcome)) == outcome
    assert outcome["ok"] is True
    assert outcome["status"] == 200
    assert outcome["url"] == server.url("/ok")
    assert outcome["address"] == {"ip": "127.0.0.1", "port": server.port}
    assert outcome["bytes"] == 5
    assert outcome["redirects"] == [server.url("/ok")]


def test_it_describes_refusals_and_errors(server: HostileServer, client: HttpClient) -> None:
    try:
        client.fetch("http://10.0.0.5/")
    except FetchError as exc:
        refused = describe(exc)
    assert refused["outcome"] == "refused"
    assert refused["kind"] == "blocked_address"
    assert refused["reason"] == "refused: 10.0.0.5 is a private network address"
    error = describe(_error(client, server.url("/loop-a")))
    assert (error["ok"], error["outcome"], error["kind"]) == (False, "error", "redirect_loop")


def test_a_response_knows_when_it_is_not_modified() -> None:
    response = Response("u", "u", 304, {}, b"", ("1.2.3.4", 80))
    assert response.not_modified


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for 127.0.0.1 (made with the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return folder


@pytest.fixture(scope="module")
def tls_server(certificate: Path) -> Iterator[HostileServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    srv = HostileServer(tls=context).start()
    yield srv
    srv.stop()


def test_it_fetches_over_tls_from_a_trusted_certificate(
    tls_server: HostileServer, certificate: Path
) -> None:
    with HttpClient(_policy(), ca_certs=str(certificate / "cert.pem")) as c:
        response = c.fetch(tls_server.url("/feed.xml"))
    assert response.status == 200
    assert response.url.startswith("https://127.0.0.1:")
    assert response.address == ("127.0.0.1", tls_server.port)


def test_it_reports_an_untrusted_certificate_as_a_tls_error(
    tls_server: HostileServer, client: HttpClient
) -> None:
    error = _error(client, tls_server.url("/ok"))
    assert error.kind == "tls"


def test_it_refuses_internal_addresses_over_https_too(tls_server: HostileServer) -> None:
    with HttpClient(ca_certs=None) as c:
        assert _refusal(c, tls_server.url("/ok")).kind == "blocked_address"


def test_it_stops_a_stalled_tls_handshake_at_the_deadline(server: HostileServer) -> None:
    """The plain server never answers a TLS ClientHello: the handshake stalls."""
    stalled = f"https://127.0.0.1:{server.port}/"
    with HttpClient(_policy(deadline=1.0, read_timeout=30.0, connect_timeout=30.0)) as c:
        started = time.monotonic()
        error = _error(c, stalled)
    assert error.kind == "timeout"
    assert time.monotonic() - started < 2.0
