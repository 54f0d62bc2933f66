"""The links people are given, and the address they are built on.

Secrets ride in the fragment (#…), which browsers never send to the server. The address comes from the
public URL setting when there is one (checked by :func:`public_url`); otherwise from the address the
server was asked on, or, for a server listening on every interface, this machine's network address
(:func:`lan_address`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from .services import CreatedExercise

ANY_INTERFACE = frozenset({"", "0.0.0.0", "::", "[::]"})  # hosts a server listens on, never a browser's address
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})  # reachable from this machine only
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
_EXAMPLE = "e.g. http://192.168.1.20:5000 or https://class.example.org"


class PublicUrlError(ValueError):
    """A public URL that links cannot be built on; the message says what is wrong with it."""


def links(base_url: str, created: CreatedExercise, delegation_names: dict[str, str]) -> dict:
    """The umpire, observer, projector and join links of ``created``, all on ``base_url``.

    ``base_url`` is an origin such as ``http://192.168.1.20:5000`` (a trailing slash is ignored);
    ``delegation_names`` maps delegation ids to the names shown. Returns the body of the
    ``POST /api/exercises`` response.
    """
    base = base_url.rstrip("/")
    return {
        "id": created.id,
        "title": created.title,
        "deck": created.deck_id,
        "umpire": {"token": created.umpire_token, "url": f"{base}/umpire#token={created.umpire_token}"},
        "observer": {"code": created.observer_code, "url": f"{base}/observe#code={created.observer_code}",
                     "projector_url": f"{base}/projector#code={created.observer_code}"},
        "delegations": [{"id": d, "name": delegation_names.get(d, d), "code": code,
                         "url": f"{base}/join#code={code}"} for d, code in created.join_codes.items()],
    }


def seat_link(base_url: str, exercise_id: str, kind: str, secret: str) -> str:
    """The link that opens one seat with ``secret``: ``umpire`` and ``staff`` (the umpire console),
    ``observer`` (the observers' view), ``delegation`` (the join page with its code), ``participant``
    (a seated person's own console, on any device)."""
    base = base_url.rstrip("/")
    return {"umpire": f"{base}/umpire#token={secret}", "staff": f"{base}/umpire#token={secret}",
            "observer": f"{base}/observe#code={secret}", "delegation": f"{base}/join#code={secret}",
            "participant": f"{base}/play#exercise={exercise_id}&token={secret}"}[kind]


def public_url(value: object) -> str | None:
    """Check a public URL setting and return it as an origin without a trailing slash.

    ``value`` must be an ``http://`` or ``https://`` URL with a host (a name, an IPv4 address or a
    bracketed IPv6 address) and optionally a port, and nothing after it but an optional "/".
    ``None`` or a blank string means "not set" and gives ``None``. Scheme and host are lower-cased:
    ``"HTTP://Class.Example.org:8080/"`` gives ``"http://class.example.org:8080"``.

    Raises :class:`PublicUrlError` naming the value and what is wrong with it.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise PublicUrlError(f"{value!r}: is not a URL ({_EXAMPLE})")
    text = value.strip()
    if not text:
        return None

    def bad(reason: str) -> PublicUrlError:
        return PublicUrlError(f"{text!r}: {reason}")

    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise bad("contains a space or a control character")
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed or invalid bracketed address
        raise bad("has an invalid IPv6 address" if "[" in text else "cannot be read as a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not text[len(scheme):].startswith("://"):
        raise bad(f"must start with http:// or https:// ({_EXAMPLE})")
    if "?" in text or "#" in text:
        raise bad("must not have a query (?…) or a fragment (#…)")
    if parts.path not in ("", "/"):
        raise bad(f"must not have a path ({parts.path!r}): the server answers at the root of its address")
    if "@" in parts.netloc:
        raise bad("must not contain a user name or password")
    host = parts.hostname or ""
    if not host:
        raise bad(f"has no host ({_EXAMPLE})")
    try:
        port = parts.port
    except ValueError:
        raise bad("has an invalid port (a number from 1 to 65535)") from None
    if port == 0:
        raise bad("has an invalid port (a number from 1 to 65535)")
    if parts.netloc.endswith(":"):
        raise bad("has an empty port")
    if parts.netloc.startswith("["):
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise bad(f"has an invalid IPv6 address {host!r}") from None
        shown = f"[{address.compressed}]"
    elif _HOSTNAME.match(host):
        shown = host
        address = _ipv4(host)
        if address is None and re.fullmatch(r"[0-9.]+", host):
            raise bad(f"has an invalid IPv4 address {host!r}")
    else:
        raise bad(f"has an invalid host {host!r}")
    if address is not None and address.is_unspecified:
        raise bad(f"has host {host}, which means 'every interface' to a server: give the address or name "
                  "students' browsers open")
    return f"{scheme}://{shown}" + (f":{port}" if port is not None else "")


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        return None


def http_base(host: str, port: int) -> str:
    """``http://HOST:PORT`` for a host name or address (an IPv6 address is bracketed)."""
    host = host.strip("[]")
    shown = f"[{host.replace('%', '%25')}]" if ":" in host else host
    return f"http://{shown}:{port}"


def lan_address() -> str:
    """This machine's address on its network, found without sending anything.

    Tries, in order: the source address the system would use for a private address (a UDP socket
    "connected" to 10.255.255.255; connecting a UDP socket sends no packet), then the address the host
    name resolves to, then ``127.0.0.1``. Loopback and unspecified answers are skipped. Returns an IPv4
    address as text; never raises.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            found = probe.getsockname()[0]
        if _usable(found):
            return found
    except OSError:
        pass
    try:
        found = socket.gethostbyname(socket.gethostname())
        if _usable(found):
            return found
    except OSError:
        pass
    return "127.0.0.1"


def _usable(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (parsed.is_loopback or parsed.is_unspecified)
