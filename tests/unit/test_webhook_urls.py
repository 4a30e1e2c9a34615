"""The SSRF rule of webhook URLs, with the host's addresses given (no DNS): every address a
host resolves to must be public or inside an allowed network, IPv6 forms that carry an IPv4
address included; and the retries' backoff stays within its bounds."""

from __future__ import annotations

import ipaddress

import pytest

from lifeledger.feed.webhook_urls import Resolver, UrlNotAllowed, check_url
from lifeledger.feed.webhooks import retry_delay

PUBLIC = "93.184.215.14"
NOT_PUBLIC = (
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.251",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2001:db8::1",
)


def resolving_to(*addresses: str) -> Resolver:
    def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_a_host_resolving_to_an_address_that_is_not_public_is_refused(address: str) -> None:
    with pytest.raises(UrlNotAllowed, match="not public"):
        check_url("https://hooks.example/in", resolver=resolving_to(address))


@pytest.mark.parametrize("address", ["10.0.0.1", "::1", "169.254.169.254"])
def test_one_address_that_is_not_public_among_public_ones_is_enough_to_refuse(
    address: str,
) -> None:
    with pytest.raises(UrlNotAllowed):
        check_url("https://hooks.example/in", resolver=resolving_to(PUBLIC, address))


def test_a_public_host_is_reached_at_the_address_checked() -> None:
    target = check_url("https://hooks.example:8443/in?x=1", resolver=resolving_to(PUBLIC))
    assert target.address == ipaddress.ip_address(PUBLIC)
    assert target.host == "hooks.example" and target.host_header == "hooks.example:8443"


def test_the_networks_the_operator_allows_are_allowed_and_no_others() -> None:
    allowed = [ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("127.0.0.0/8")]
    for address in ("10.20.3.4", "127.0.0.1", "::ffff:127.0.0.1"):
        check_url("http://hooks.internal/", allowed, resolving_to(address))
    for address in ("10.21.0.1", "::1", "169.254.169.254"):
        with pytest.raises(UrlNotAllowed):
            check_url("http://hooks.internal/", allowed, resolving_to(address))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example/in", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("http://user:pw@hooks.example/in", "user name or password"),
        ("http://user@hooks.example/in", "user name or password"),
        ("http:///in", "no host"),
        ("http://hooks.example:0x50/in", "not a URL"),
        ("http://hooks.example:70000/in", "not a URL"),
    ],
)
def test_a_url_that_is_not_an_http_one_with_a_host_alone_is_refused(url: str, why: str) -> None:
    with pytest.raises(UrlNotAllowed, match=why):
        check_url(url, resolver=resolving_to(PUBLIC))


def test_a_host_that_does_not_resolve_reads_as_one_that_is_not_public() -> None:
    with pytest.raises(UrlNotAllowed) as nowhere:
        check_url("http://nowhere.invalid/", resolver=resolving_to())
    with pytest.raises(UrlNotAllowed) as private:
        check_url("http://nowhere.invalid/", resolver=resolving_to("10.0.0.1"))
    assert str(nowhere.value) == str(private.value)


def test_the_backoff_doubles_up_to_its_cap_with_full_jitter() -> None:
    for failures, bound in ((1, 1.0), (2, 2.0), (3, 4.0), (8, 100.0), (500, 100.0)):
        delays = [retry_delay(failures, base=1.0, cap=100.0) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound / 2  # spread over the whole range, not fixed
