"""Where reader may go on the network: the site the user named, and never inside a network by accident.

A URL the user types (on the command line, in a URL list) is fetched as typed: an intranet page is a
legitimate thing to read. Everything reader reaches *indirectly* (an HTTP redirect, a link followed from a
list page, a page's ``<base href>``) is held to two rules, so that a hostile page cannot make reader knock
on the cloud-metadata address (169.254.169.254), the machine's own services (127.0.0.1:other-port) or the
office network on the page's behalf:

1. **Same site.** It stays on the site of the URL the user named (``site_of``): the scheme family (http and
   https are one), the host (``www.`` folded: ``example.cn`` and ``www.example.cn`` are one site) and the port
   (a scheme's default port folded: ``http://h/`` and ``https://h/`` are one site, ``h:8080`` is another).
2. **No internal addresses.** Its host resolves only to public addresses (``is_internal`` says which are
   not: loopback, private, link-local, carrier-grade NAT, unique-local, multicast, reserved, unspecified,
   and IPv4 addresses mapped into IPv6), unless it is the very host of the URL the user named.

``Scope`` carries both rules for one fetch; ``parse_url`` turns a malformed URL (``http://[::1``) into a
one-line ``UsageError`` instead of a ``ValueError``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx

from reader._clean import url_for_display
from reader.errors import FetchError, UsageError
from reader.i18n import _

_DEFAULT_PORTS = {"http": 80, "https": 443}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
Resolver = Callable[[str, int], Iterable[str]]


@dataclass(frozen=True)
class Site:
    """A site, as the rules above compare them."""

    family: str  # "http" for http and https; otherwise the scheme
    host: str  # lower case, without a leading "www."
    port: int | None  # None: the scheme's default port

    def __str__(self) -> str:
        return self.host + (f":{self.port}" if self.port is not None else "")


def parse_url(url: str) -> SplitResult:
    """``url`` split into its parts; ``UsageError`` (one line) when it is not a well-formed http(s) URL."""
    shown = url_for_display(url)
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise UsageError(_("{shown}: not a valid URL ({exc})").format(shown=shown, exc=exc)) from None
    if _CONTROL.search(url):  # a line break pasted in, an escape sequence: no URL holds one
        raise UsageError(_("{shown}: not a valid URL (it holds a control character or a line break)").format(shown=shown))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UsageError(_("{shown}: unsupported scheme {scheme!r} (only http and https URLs are fetched)").format(shown=shown, scheme=scheme))
    if not parts.hostname:
        raise UsageError(_("{shown}: not a valid URL (no host)").format(shown=shown))
    if port == 0:
        raise UsageError(_("{shown}: not a valid URL (port 0)").format(shown=shown))
    _check_host(parts.hostname, shown)
    return parts


def _check_host(host: str, shown: str) -> None:
    """``UsageError`` unless ``host`` can be looked up: its IDNA form (httpx's, the one that goes on the wire)
    has labels of 1 to 63 characters, 253 in all (RFC 1035). Checked here, because httpx and the resolver
    raise ``UnicodeError`` (``http://xn--/``, a 300-character label) instead of an error of their own."""
    if ":" in host:  # an IPv6 literal: urlsplit has checked it
        return
    try:
        parsed = httpx.URL(f"http://{host}/")
        wire, _shown_host = parsed.raw_host, parsed.host  # .host decodes xn-- labels: IDNAError there too
    except (httpx.InvalidURL, ValueError) as exc:  # idna's IDNAError is a UnicodeError, a ValueError
        raise UsageError(_("{shown}: not a valid URL (host name: {exc})").format(shown=shown, exc=exc)) from None
    labels = wire.removesuffix(b".").split(b".")
    if len(wire) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        raise UsageError(_("{shown}: not a valid URL (a host name has parts of 1 to 63 characters, 253 in all)").format(
            shown=shown))


def site_of(url: str) -> Site | None:
    """The site of ``url``; None when it has no host (a file: URL, a malformed one)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return None
    family = "http" if scheme in ("http", "https") else scheme
    if port is not None and _DEFAULT_PORTS.get(scheme) == port:
        port = None
    return Site(family, host.removeprefix("www."), port)


def host_of(url: str) -> str:
    """The lower-case host of ``url`` (empty when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def is_internal(address: str) -> bool:
    """Whether ``address`` (an IPv4 or IPv6 literal) is not a public Internet address.

    ``ipaddress``'s ``is_global`` is False for every special-purpose block of the IANA registries (loopback,
    RFC 1918 private, link-local 169.254/16 and fe80::/10, 100.64/10, fc00::/7, documentation, benchmarking,
    reserved, unspecified); multicast is refused too. An IPv4 address mapped or translated into IPv6
    (``::ffff:127.0.0.1``, ``64:ff9b::a9fe:a9fe``) is judged as the IPv4 address it carries.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an address we understand: treat it as internal
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_internal(str(ip.ipv4_mapped))
        if ip in _NAT64:
            return is_internal(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return not ip.is_global or ip.is_multicast


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the literal itself for an IP address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []  # unresolvable: the request itself will fail with the real reason
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Scope:
    """Where one fetch (and its redirects) may go.

    ``site``: the site the user named; ``None`` allows any site (a URL the user typed has no redirect
    limit of its own but the address rule). ``trusted_host``: the host of the user's own URL, whose
    addresses are allowed whatever they are; ``None``: no host is trusted (a link found in a page).
    """

    site: Site | None
    trusted_host: str | None

    @classmethod
    def typed(cls, url: str) -> Scope:
        """A URL the user named: fetched as typed; its redirects stay on its site."""
        return cls(site_of(url), host_of(url) or None)

    @classmethod
    def followed(cls, site: Site | None, trusted_host: str | None = None) -> Scope:
        """A link found on a page of ``site``; ``trusted_host``: the list page's own host if the user typed
        its URL (its links may reach the same intranet host), else None."""
        return cls(site, trusted_host)

    def check(self, url: str, *, hop: int, resolver: Resolver = resolve) -> None:
        """Raise ``FetchError`` unless ``url`` may be requested (``hop`` 0: the first request, else the
        number of redirects followed to reach it)."""
        shown = url_for_display(url)
        parts = parse_url(url) if hop == 0 else _parse_hop(url)
        how = _("a redirect") if hop else _("a link")
        if self.site is not None and site_of(url) != self.site:
            raise FetchError(_("{shown}: refused: {how} off the site {site} that was asked for").format(
                shown=shown, how=how, site=self.site))
        host = (parts.hostname or "").lower().rstrip(".")
        if self.trusted_host is not None and host == self.trusted_host:
            return
        port = parts.port or _DEFAULT_PORTS[parts.scheme.lower()]
        internal = sorted({a for a in resolver(host, port) if is_internal(a)})
        if internal:
            raise FetchError(_("{shown}: refused: {how} to the internal address {internal} (only URLs you give "
                               "yourself may reach a private, loopback or link-local address)").format(
                                   shown=shown, how=how, internal=internal[0]))


def check_scheduler(spec: str) -> None:
    """``UsageError`` (one line, never showing a password) for a Dask scheduler address (``--cluster``) that
    cannot work: a user name or password (Dask takes none: it was printed in a traceback a minute later), a
    malformed host or port (``tcp://[::1:8786``), or a control character. Dask raised at once on each, but the
    half-made client then spent twice its connect timeout closing itself, and printed a traceback. (Whether a
    ``tls://`` address has its certificates is ``reader.library.cluster.check_cluster``'s to say.)"""
    shown = url_for_display(spec)
    try:
        parts = urlsplit(spec)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as exc:
        raise UsageError(_("--cluster {shown!r}: not a scheduler address ({exc})").format(shown=shown, exc=exc)) from None
    if _CONTROL.search(spec) or not parts.hostname:
        raise UsageError(_("--cluster {shown!r}: not a scheduler address").format(shown=shown))
    if "@" in parts.netloc:
        raise UsageError(_("--cluster {shown!r}: a scheduler address takes no user name or password").format(shown=shown))


def _parse_hop(url: str) -> SplitResult:
    try:
        return parse_url(url)
    except UsageError as exc:
        raise FetchError(_("a redirect to {exc}").format(exc=exc)) from None
