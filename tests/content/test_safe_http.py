"""W2–W5, W7: the SSRF-safe fetcher against a real local server and a scripted resolver."""

import ipaddress
import time

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from advocacy.checks import safe_http_check
from content.safe_http import FetchFailed, UnsafeURL, is_public_address, safe_get, special_purpose_block
from tests.content.httpfixtures import DNS_LOOKUPS, Route, fake_dns, local_server, other_server  # noqa: F401

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://example.com/_x", "ftp://example.com/a", "javascript:alert(1)", "data:,x"],
)
def test_non_http_schemes_are_refused(url):
    with pytest.raises(UnsafeURL) as refused:
        safe_get(url)
    assert refused.value.code == "scheme"


def test_odd_ports_are_refused():
    for url in ("http://example.com:8080/", "https://example.com:22/", "http://example.com:6379/"):
        with pytest.raises(UnsafeURL) as refused:
            safe_get(url)
        assert refused.value.code == "port"


def test_credentials_in_the_url_are_refused():
    with pytest.raises(UnsafeURL) as refused:
        safe_get("http://admin:secret@example.com/")
    assert refused.value.code == "credentials"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.2/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://[::1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a00:5]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[64:ff9b::a00:5]/",
        "http://[2002:a00:5::]/",
        "http://[2002:7f00:1::]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://017700000001/",
    ],
)
def test_private_loopback_reserved_and_odd_spellings_are_refused(url):
    with pytest.raises(UnsafeURL) as refused:
        safe_get(url)
    assert refused.value.code == "address"
    assert refused.value.reason


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["10.0.0.5"], ["93.184.215.14", "10.0.0.5"], ["::1"]])
def test_a_public_looking_name_that_resolves_to_a_private_address_is_refused(fake_dns, answer):  # noqa: F811
    fake_dns["news.example"] = [answer]
    with pytest.raises(UnsafeURL) as refused:
        safe_get("http://news.example/article")
    assert refused.value.code == "address"


def test_a_name_resolving_to_a_private_address_on_the_allowed_test_port_is_refused(local_server, fake_dns):  # noqa: F811
    fake_dns["news.example"] = [["10.0.0.5"]]
    with pytest.raises(UnsafeURL):
        safe_get(f"http://news.example:{local_server.port}/")
    assert local_server.requests == []


def test_a_name_that_does_not_resolve_fails(fake_dns):  # noqa: F811
    with pytest.raises(FetchFailed) as failed:
        safe_get("http://nowhere.example/")
    assert failed.value.code == "dns"


def test_the_allowed_local_server_is_fetched(local_server):  # noqa: F811
    url = local_server.route("/page", body=b"<title>Hi</title>", headers={**HTML, "Set-Cookie": "a=b", "X-Thing": "1"})
    response = safe_get(url, headers={"If-None-Match": '"v1"', "Host": "evil.example", "Cookie": "c=d"})
    assert response.status == 200
    assert response.body == b"<title>Hi</title>"
    assert response.final_url == url
    assert response.truncated is False
    assert response.headers["x-thing"] == "1"
    assert response.content_type == "text/html"
    sent = local_server.requests[0].headers
    assert sent["User-Agent"] == "RelaisPreview/1.0 (+https://relais.example)"
    assert sent["If-None-Match"] == '"v1"'
    assert sent["Host"] == local_server.endpoint
    assert "Cookie" not in sent


def test_non_2xx_answers_are_returned(local_server):  # noqa: F811
    url = local_server.route("/feed", status=304, headers={})
    assert safe_get(url).status == 304


def test_rebinding_the_connection_goes_to_the_validated_address_only(local_server, fake_dns):  # noqa: F811
    # The allow-listed local server stands in for "public": the first answer is accepted, the second is private.
    fake_dns["rebind.example"] = [["127.0.0.1"], ["10.0.0.5"]]
    url = f"http://rebind.example:{local_server.port}/page"
    local_server.route("/page", body=b"ok", headers=HTML)

    response = safe_get(url)

    assert response.body == b"ok"
    assert DNS_LOOKUPS == ["rebind.example"]
    assert local_server.requests[0].headers["Host"] == f"rebind.example:{local_server.port}"
    with pytest.raises(UnsafeURL):
        safe_get(url)


def test_a_redirect_to_another_local_port_is_refused_at_the_hop(local_server, other_server):  # noqa: F811
    other_server.route("/secret", body=b"internal", headers=HTML)
    url = local_server.route("/go", status=302, headers={"Location": other_server.url("/secret")})
    with pytest.raises(UnsafeURL):
        safe_get(url)
    assert [request.path for request in local_server.requests] == ["/go"]
    assert other_server.requests == []


@pytest.mark.parametrize(
    "location",
    ["http://10.0.0.5/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "file:///etc/passwd"],
)
def test_a_redirect_to_a_private_address_or_scheme_is_refused(local_server, location):  # noqa: F811
    url = local_server.route("/go", status=301, headers={"Location": location})
    with pytest.raises(UnsafeURL):
        safe_get(url)


def test_a_redirect_to_a_name_resolving_privately_is_refused(local_server, fake_dns):  # noqa: F811
    fake_dns["cdn.example"] = [["192.168.0.10"]]
    url = local_server.route("/go", status=307, headers={"Location": "http://cdn.example/x"})
    with pytest.raises(UnsafeURL) as refused:
        safe_get(url)
    assert refused.value.code == "address"


def _chain(server, length):
    for index in range(length):
        server.route(f"/r{index}", status=302, headers={"Location": f"/r{index + 1}"})
    server.route(f"/r{length}", body=b"end", headers=HTML)
    return server.url("/r0")


def test_three_redirects_are_followed(local_server):  # noqa: F811
    response = safe_get(_chain(local_server, 3))
    assert response.body == b"end"
    assert response.final_url == local_server.url("/r3")


def test_more_than_three_redirects_fail(local_server):  # noqa: F811
    with pytest.raises(FetchFailed) as failed:
        safe_get(_chain(local_server, 4))
    assert failed.value.code == "redirects"
    assert len(local_server.requests) == 4


def test_a_slow_server_is_cut_by_the_deadline(local_server):  # noqa: F811
    url = local_server.route("/slow", delay=3, body=b"late", headers=HTML)
    started = time.monotonic()
    with pytest.raises(FetchFailed) as failed:
        safe_get(url, timeout=0.5)
    assert failed.value.code == "timeout"
    assert time.monotonic() - started < 1.5


def test_a_trickling_server_is_cut_by_the_whole_request_deadline(local_server):  # noqa: F811
    # Each byte arrives well within any per-read timeout; only a deadline for the whole exchange stops this.
    url = local_server.route("/trickle", body=b"x" * 200, trickle=1, trickle_pause=0.05, headers=HTML)
    started = time.monotonic()
    with pytest.raises(FetchFailed) as failed:
        safe_get(url, timeout=0.6)
    assert failed.value.code == "timeout"
    assert time.monotonic() - started < 1.5


def test_the_deadline_covers_redirects(local_server):  # noqa: F811
    local_server.route("/a", delay=0.4, status=302, headers={"Location": "/b"})
    local_server.route("/b", delay=0.4, body=b"late", headers=HTML)
    with pytest.raises(FetchFailed) as failed:
        safe_get(local_server.url("/a"), timeout=0.6)
    assert failed.value.code == "timeout"


def test_a_huge_body_of_unknown_length_is_cut_at_the_byte_cap(local_server):  # noqa: F811
    url = local_server.route("/huge", stream_forever=True, headers=HTML)
    response = safe_get(url, max_bytes=100_000)
    assert response.truncated is True
    assert len(response.body) == 100_000


def test_a_declared_big_body_is_cut_and_can_be_refused(local_server):  # noqa: F811
    url = local_server.route("/big", body=b"y" * 300_000, headers=HTML)
    response = safe_get(url, max_bytes=1_000)
    assert (len(response.body), response.truncated) == (1_000, True)
    with pytest.raises(FetchFailed) as failed:
        response.require_complete(max_bytes=1_000)
    assert failed.value.code == "size"


def test_an_unaccepted_content_type_fails(local_server):  # noqa: F811
    url = local_server.route("/image", body=b"\x89PNG" * 1000, headers={"Content-Type": "image/png"})
    with pytest.raises(FetchFailed) as failed:
        safe_get(url, accept_types=("text/html", "application/xhtml+xml"))
    assert failed.value.code == "content_type"
    assert "image/png" in failed.value.reason


def test_the_test_allow_list_and_resolver_fail_the_deploy_checks(settings):
    assert safe_http_check(None) == []
    settings.RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS = ["127.0.0.1:8123"]
    settings.RELAIS_SAFE_HTTP_RESOLVER = "tests.content.httpfixtures.scripted_resolver"
    assert {error.id for error in safe_http_check(None)} == {"relais.E010", "relais.E011"}


@given(st.ip_addresses())
def test_the_validator_never_accepts_a_non_global_address(address):
    if is_public_address(address):
        assert address.is_global
        for flag in ("is_private", "is_loopback", "is_link_local", "is_multicast", "is_reserved", "is_unspecified"):
            assert not getattr(address, flag)
        if isinstance(address, ipaddress.IPv6Address):
            assert address.ipv4_mapped is None
            assert address.sixtofour is None or address.sixtofour.is_global


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(st.ip_addresses())
def test_a_non_global_literal_is_always_refused_before_connecting(address):
    assume(not is_public_address(address))
    host = f"[{address}]" if address.version == 6 else str(address)
    with pytest.raises(UnsafeURL):
        safe_get(f"http://{host}/")


@pytest.mark.parametrize(
    "network", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7"]
)
def test_every_address_of_private_networks_is_refused(network):
    @given(st.ip_addresses(network=network))
    def check(address):
        assert not is_public_address(address)
        assert not is_public_address(ipaddress.IPv6Address(f"::ffff:{address}") if address.version == 4 else address)

    check()


# IANA's IPv4 and IPv6 special-purpose address registries, row by row, with multicast and the deprecated IPv6
# forms; written out here rather than read from the code so that a row dropped there fails here.
SPECIAL_PURPOSE = [
    ("0.0.0.0/8", "RFC 791"),
    ("0.0.0.0/32", "RFC 1122"),
    ("10.0.0.0/8", "RFC 1918"),
    ("100.64.0.0/10", "RFC 6598"),
    ("127.0.0.0/8", "RFC 1122"),
    ("169.254.0.0/16", "RFC 3927"),
    ("172.16.0.0/12", "RFC 1918"),
    ("192.0.0.0/24", "RFC 6890"),
    ("192.0.0.0/29", "RFC 7335"),
    ("192.0.0.8/32", "RFC 7600"),
    ("192.0.0.9/32", "RFC 7723"),
    ("192.0.0.10/32", "RFC 8155"),
    ("192.0.0.170/32", "RFC 7050"),
    ("192.0.0.171/32", "RFC 7050"),
    ("192.0.2.0/24", "RFC 5737"),
    ("192.31.196.0/24", "RFC 7535"),
    ("192.52.193.0/24", "RFC 7450"),
    ("192.88.99.0/24", "RFC 7526"),
    ("192.88.99.2/32", "RFC 6751"),
    ("192.168.0.0/16", "RFC 1918"),
    ("192.175.48.0/24", "RFC 7534"),
    ("198.18.0.0/15", "RFC 2544"),
    ("198.51.100.0/24", "RFC 5737"),
    ("203.0.113.0/24", "RFC 5737"),
    ("224.0.0.0/4", "RFC 5771"),
    ("240.0.0.0/4", "RFC 1112"),
    ("255.255.255.255/32", "RFC 919"),
    ("::/128", "RFC 4291"),
    ("::1/128", "RFC 4291"),
    ("::/96", "RFC 4291"),
    ("::ffff:0:0/96", "RFC 4291"),
    ("64:ff9b::/96", "RFC 6052"),
    ("64:ff9b:1::/48", "RFC 8215"),
    ("100::/64", "RFC 6666"),
    ("100:0:0:1::/64", "RFC 9780"),
    ("2001::/23", "RFC 2928"),
    ("2001::/32", "RFC 4380"),
    ("2001:1::1/128", "RFC 7723"),
    ("2001:1::2/128", "RFC 8155"),
    ("2001:1::3/128", "RFC 9665"),
    ("2001:2::/48", "RFC 5180"),
    ("2001:3::/32", "RFC 7450"),
    ("2001:4:112::/48", "RFC 7535"),
    ("2001:10::/28", "RFC 4843"),
    ("2001:20::/28", "RFC 7343"),
    ("2001:30::/28", "RFC 9374"),
    ("2001:db8::/32", "RFC 3849"),
    ("2002::/16", "RFC 3056"),
    ("2620:4f:8000::/48", "RFC 7534"),
    ("3fff::/20", "RFC 9637"),
    ("5f00::/16", "RFC 9602"),
    ("fc00::/7", "RFC 4193"),
    ("fe80::/10", "RFC 4291"),
    ("fec0::/10", "RFC 3879"),
    ("ff00::/8", "RFC 4291"),
]


def _samples(network):
    """First, middle and last address of the block, leaving out those a more specific block of the table owns."""
    inner = [
        ipaddress.ip_network(other)
        for other, _rfc in SPECIAL_PURPOSE
        if ipaddress.ip_network(other) != network
        and ipaddress.ip_network(other).version == network.version
        and ipaddress.ip_network(other).subnet_of(network)
    ]
    middle = network.network_address + network.num_addresses // 2
    candidates = dict.fromkeys([network.network_address, middle, network.broadcast_address])
    return [address for address in candidates if not any(address in other for other in inner)]


@pytest.mark.parametrize("network", [network for network, _rfc in SPECIAL_PURPOSE])
def test_every_special_purpose_block_is_refused(network):
    samples = _samples(ipaddress.ip_network(network))
    assert samples
    for address in samples:
        assert not is_public_address(address), address
        host = f"[{address}]" if address.version == 6 else str(address)
        with pytest.raises(UnsafeURL) as refused:
            safe_get(f"http://{host}/")
        assert refused.value.code == "address"


@pytest.mark.parametrize(("network", "rfc"), SPECIAL_PURPOSE, ids=[network for network, _rfc in SPECIAL_PURPOSE])
def test_the_refusal_names_the_most_specific_block_and_its_rfc(network, rfc):
    for address in _samples(ipaddress.ip_network(network)):
        block = special_purpose_block(address)
        assert block is not None
        assert (str(block.network), block.rfc) == (str(ipaddress.ip_network(network)), rfc)


@pytest.mark.parametrize("answer", ["192.0.0.8", "192.88.99.1", "192.31.196.1", "2002:808:808::1", "64:ff9b::808:808"])
def test_a_name_resolving_into_a_special_purpose_block_is_refused(fake_dns, answer):  # noqa: F811
    fake_dns["news.example"] = [[answer]]
    with pytest.raises(UnsafeURL) as refused:
        safe_get("http://news.example/article")
    assert refused.value.code == "address"


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450::1"])
def test_ordinary_public_addresses_are_still_accepted(address):
    assert is_public_address(ipaddress.ip_address(address))
    assert special_purpose_block(ipaddress.ip_address(address)) is None
