"""Where a notification may be posted: the webhook URL policy and the opener that keeps to it.

- https only, to a host whose every address is public: loopback, private, link-local, multicast,
  reserved, unspecified and other non-global addresses are refused (the host is resolved first,
  so a public name pointing at 169.254.169.254 is refused too);
- redirects stay on the same scheme, host and port (an https redirect to http is a downgrade) and
  their target passes the same policy; urllib would otherwise follow them anywhere;
- the local runtime (``Config.local_runtime``: not in AWS) may also post to loopback receivers
  (``127.0.0.1``, ``::1``, ``localhost``), over plain http as well: the demo and tests do.

A refusal is a `WebhookRefused` whose reason names the rule broken, never the URL (webhook URLs
are secrets). The policy is checked when the request is made, not when the configuration is read:
the URL may live in an SSM parameter and the host's addresses may change. The check resolves the
name and urllib resolves it again to connect: a DNS server that answers differently the second
time (DNS rebinding) is not caught; the URL is operator configuration, not user input.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from http.client import HTTPMessage
from typing import IO
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Address properties (`ipaddress`) that make a host unfit for a webhook, in the order reported.
NON_PUBLIC = ("loopback", "link_local", "multicast", "unspecified", "reserved", "private")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class WebhookRefused(Exception):
    """A webhook URL breaks the policy; ``reason`` names the rule, never the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _port(parts: SplitResult) -> int:
    try:
        return parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise WebhookRefused("invalid port") from None


def host_addresses(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (`socket.gaierror`, an OSError, when it does not)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _loopback_name(host: str) -> bool:
    """``localhost`` or a loopback address literal (checked again once resolved)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def non_public_kind(address: Address) -> str | None:
    """Why ``address`` is not a public one (``"private"``, ``"link-local"``...), or None."""
    for kind in NON_PUBLIC:
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-global"


def webhook_url_check(url: str, *, local: bool) -> None:
    """Refuse (`WebhookRefused`) a URL the policy does not allow; see the module docstring.

    Resolves the host; a name that does not resolve raises `socket.gaierror` (retried as a
    connection error, DNS may recover).
    """
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        raise WebhookRefused("scheme not allowed (https only)")
    if not parts.hostname:
        raise WebhookRefused("no host")
    if parts.scheme == "http" and not local:
        raise WebhookRefused("plain http outside the local runtime")
    if parts.scheme == "http" and not _loopback_name(parts.hostname):
        raise WebhookRefused("plain http to a host that is not loopback")
    addresses = host_addresses(parts.hostname, _port(parts))
    if local and addresses and all(address.is_loopback for address in addresses):
        return
    if parts.scheme == "http":
        raise WebhookRefused("plain http to a host that is not loopback")
    for address in addresses:
        kind = non_public_kind(address)
        if kind:
            raise WebhookRefused(f"host resolves to a {kind} address")


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme, host and port, and only to an allowed URL."""

    def __init__(self, *, local: bool) -> None:
        self.local = local

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        if new.scheme != old.scheme:
            fp.close()
            raise WebhookRefused(f"redirect from {old.scheme} to another scheme")
        if (new.hostname, _port(new)) != (old.hostname, _port(old)):
            fp.close()
            raise WebhookRefused("redirect to another host")
        webhook_url_check(newurl, local=self.local)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def webhook_opener(*, local: bool) -> urllib.request.OpenerDirector:
    """urllib's opener with redirects restricted by `SameOriginRedirects`."""
    return urllib.request.build_opener(SameOriginRedirects(local=local))
