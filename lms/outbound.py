"""Calls from the server to a company's systems (identity providers, webhook receivers):
which addresses are allowed, and one HTTP session with timeouts for them.

An address a company's admin typed must not make the server call into its own
network (server-side request forgery): `address_problem` refuses plain HTTP and any
host that resolves to a loopback, private, link-local, multicast or reserved address,
unless the operator allows private endpoints (LMS_ALLOW_PRIVATE_ENDPOINTS, set for the
tests and the demo, whose provider runs on the same machine). `session()` follows no
redirects (a redirect could lead to such an address) and waits at most
LMS_OUTBOUND_TIMEOUT_SECONDS. The check runs when the address is saved and again
before each call, since a name may resolve elsewhere later.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _

USER_AGENT = "Lernwerk"


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def address_problem(url: str, *, allow_private: bool | None = None) -> str | None:
    """Why the server must not call `url` (translated), or None.

    Needs an HTTPS address whose host resolves to public addresses only; with private
    endpoints allowed, also HTTP and any address.
    """
    allowed = (
        bool(current_app.config.get("ALLOW_PRIVATE_ENDPOINTS"))
        if allow_private is None
        else allow_private
    )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return _("This is not a web address.")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Give a full address that begins with https://.")
    if parts.username or parts.password:
        return _("The address must not contain a user name or password.")
    if allowed:
        return None
    if parts.scheme != "https":
        return _("The address must begin with https://: the data travels encrypted only then.")
    try:
        found = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return _("The server %(host)s cannot be found.", host=parts.hostname)
    for _family, _type, _proto, _name, sockaddr in found:
        try:
            address = ipaddress.ip_address(sockaddr[0])
        except ValueError:
            return _("The server %(host)s cannot be found.", host=parts.hostname)
        if _private(address):
            return _(
                "The address %(host)s points into a private network. Lernwerk calls only "
                "addresses on the internet.",
                host=parts.hostname,
            )
    return None


class _NoRedirects(requests.Session):
    """A session that never follows a redirect, whatever a caller asks: a 3xx answer is
    returned as it is (a redirect could lead into the server's own network)."""

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def session() -> requests.Session:
    """An HTTP session for calls to a company's system: no redirects followed, our
    User-Agent; pass `timeout=timeout()` to each call."""
    http = _NoRedirects()
    http.headers["User-Agent"] = USER_AGENT
    http.trust_env = False  # no proxy settings from the environment
    return http


def timeout() -> float:
    return float(current_app.config.get("OUTBOUND_TIMEOUT_SECONDS") or 10)
