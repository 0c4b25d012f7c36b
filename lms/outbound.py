"""Calls from the server to a company's systems (identity providers, webhook receivers):
which addresses are allowed, and one HTTP session with timeouts for them.

An address a company's admin typed must not make the server call into its own
network (server-side request forgery): `address_problem` refuses plain HTTP and any
host that resolves to a loopback, private, link-local, multicast or reserved address,
unless the operator allows private endpoints (LMS_ALLOW_PRIVATE_ENDPOINTS, set for the
tests and the demo, whose provider runs on the same machine). `session()` follows no
redirects (a redirect could lead to such an address), waits at most
LMS_OUTBOUND_TIMEOUT_SECONDS, and connects to the very address it checked: it resolves
the name once per request, refuses it there if it points into a private network, and
connects to that address (TLS still checks the certificate against the name), so a
name that answers a public address to the check and a private one to the connection
(DNS rebinding) gets nowhere. The check also runs when an address is saved, to tell
the admin at once.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response

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


def _pinned_address(host: str, port: int) -> str:
    """The address to connect to for `host`: its first address, resolved now, after
    every address it resolves to was checked (unless private endpoints are allowed).
    Raises requests.ConnectionError with the translated reason."""
    allowed = bool(current_app.config.get("ALLOW_PRIVATE_ENDPOINTS"))
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        missing = _("The server %(host)s cannot be found.", host=host)
        raise requests.ConnectionError(missing) from exc
    addresses = [ipaddress.ip_address(sockaddr[0]) for *_rest, sockaddr in found]
    if not addresses:
        raise requests.ConnectionError(_("The server %(host)s cannot be found.", host=host))
    if not allowed and any(_private(address) for address in addresses):
        raise requests.ConnectionError(
            _(
                "The address %(host)s points into a private network. Lernwerk calls only "
                "addresses on the internet.",
                host=host,
            )
        )
    return str(addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Sends each request to the address `_pinned_address` checked, with the name kept
    for the Host header, TLS's server name and the certificate check."""

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(request.url or "")
        host = parts.hostname or ""
        try:
            ipaddress.ip_address(host)
            literal = True
        except ValueError:
            literal = False
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        address = _pinned_address(host, port)
        if not literal:
            shown = f"[{address}]" if ":" in address else address
            request.url = urlunsplit(parts._replace(netloc=f"{shown}:{port}"))
            request.headers["Host"] = host if parts.port is None else f"{host}:{parts.port}"
        pool = self.poolmanager.connection_pool_kw
        if https and not literal:
            pool["server_hostname"] = host
            pool["assert_hostname"] = host
        else:
            pool.pop("server_hostname", None)
            pool.pop("assert_hostname", None)
        return super().send(request, *args, **kwargs)


class _NoRedirects(requests.Session):
    """A session that never follows a redirect, whatever a caller asks: a 3xx answer is
    returned as it is (a redirect could lead into the server's own network)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def pin(http: requests.Session) -> None:
    """Make `http` connect only to checked addresses (for sessions made elsewhere, such
    as Authlib's OAuth client)."""
    for prefix in ("https://", "http://"):
        http.mount(prefix, _PinnedAdapter())


def session() -> requests.Session:
    """An HTTP session for calls to a company's system: no redirects followed, our
    User-Agent; pass `timeout=timeout()` to each call."""
    http = _NoRedirects()
    pin(http)
    http.headers["User-Agent"] = USER_AGENT
    http.trust_env = False  # no proxy settings from the environment
    return http


def timeout() -> float:
    return float(current_app.config.get("OUTBOUND_TIMEOUT_SECONDS") or 10)
