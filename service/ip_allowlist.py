"""The optional allow-list of source addresses Fast's calls may come from (off by default).

Behind a proxy the peer address is the proxy's, and the caller's address is in
``X-Forwarded-For``, where anyone can write anything. So the header is read from
the nearest hop outwards and believed only as far as the hops are trusted:
either the nearest ``FAST_TRUSTED_PROXY_COUNT`` hops (Heroku's router: 1) or hops
whose address is in ``FAST_TRUSTED_PROXIES``. The first untrusted address is the
caller; entries further left are the caller's own claims and are ignored.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from service.config import Settings
from service.errors import Unauthorised

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# More entries than this is not a real proxy chain.
MAX_FORWARDED_ENTRIES = 32


def check(remote_addr: str | None, forwarded_for: str | None, settings: Settings) -> None:
    """Raise ``Unauthorised`` unless the caller's address is allowed (no-op when no list is set)."""
    if not settings.allowed_source_ips:
        return
    caller = client_address(
        remote_addr, forwarded_for, networks(settings.trusted_proxies), settings.trusted_proxy_count
    )
    if caller is None:
        raise Unauthorised("the caller's address cannot be determined")
    if not any(caller in network for network in networks(settings.allowed_source_ips)):
        raise Unauthorised("calls from this address are not allowed")


def client_address(
    remote_addr: str | None,
    forwarded_for: str | None,
    trusted_proxies: tuple[Network, ...] = (),
    trusted_hops: int = 0,
) -> Address | None:
    """The caller's address: the first hop, from the nearest outwards, that is not trusted."""
    chain = [entry.strip() for entry in (forwarded_for or "").split(",") if entry.strip()]
    if len(chain) > MAX_FORWARDED_ENTRIES:
        # Only the nearest entries can matter; the rest are the caller's to invent.
        chain = chain[-MAX_FORWARDED_ENTRIES:]
    chain.append(remote_addr or "")
    index = len(chain) - 1
    hops = 0
    while index > 0:
        here = parse_address(chain[index])
        trusted = hops < trusted_hops or (here is not None and any(here in net for net in trusted_proxies))
        if not trusted:
            break
        hops += 1
        index -= 1
    return parse_address(chain[index])


def parse_address(text: str) -> Address | None:
    """An IP address as proxies write it (``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80``, ``::1``)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@cache
def networks(ranges: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(r, strict=False) for r in ranges)
