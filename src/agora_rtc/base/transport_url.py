"""The transport URL: which network a service uses (``AgoraServiceConfig.transport_url``).

``""`` / ``local://`` is the in-process network, ``janus://`` and ``janus+ws://``
a Janus server (HTTP or WebSocket API), ``sip://`` phone calls (a SIP user agent). Re-exported by :mod:`agora_rtc.agora_base`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional
from urllib.parse import parse_qsl, urlsplit

from agora_rtc.base.checks import type_name

if TYPE_CHECKING:
    from agora_rtc.base.configs import AgoraServiceConfig

__all__ = [
    "TRANSPORT_URL_ENV", "TransportURL", "parse_transport_url", "resolve_transport_url",
]


#: Environment variable consulted when ``AgoraServiceConfig.transport_url`` is empty.
TRANSPORT_URL_ENV = "AGORA_RTC_TRANSPORT_URL"

_TRANSPORT_FORMS = ("'' / 'local://...' / 'janus://host:port' / 'janus+ws://host:port' / "
                    "'sip://[user@]ip:port'")

# scheme -> (default port, default path)
_JANUS_DEFAULTS: dict[str, tuple[int, str]] = {
    "janus": (8088, "/janus"),
    "janus+ws": (8188, "/"),
}


@dataclass(frozen=True)
class TransportURL:
    """A parsed transport URL (see :func:`parse_transport_url`).

    Parameters
    ----------
    scheme : str
        ``"local"``, ``"janus"`` (Janus HTTP API), ``"janus+ws"`` (Janus WebSocket API) or
        ``"sip"`` (phone calls: the address SIP listens on).
    host : str
        Janus host; for ``local`` the optional hub name (``local://name``), else ``""``.
    port : int or None
        Janus port (defaults: 8088 for ``janus``, 8188 for ``janus+ws``); None for ``local``.
    path : str
        Janus API path (defaults: ``/janus`` for ``janus``, ``/`` for ``janus+ws``).
    params : Mapping[str, str]
        Query parameters, passed through to the transport (their meaning is
        defined by the transport, e.g. Janus keys).
    user : str
        ``sip``: our user part in From and Contact (``sip://agent@...``), else ``""``.
    """

    scheme: str
    host: str = ""
    port: Optional[int] = None
    path: str = ""
    params: Mapping[str, str] = field(default_factory=dict, repr=False)  # may hold admin_key
    user: str = ""

    @property
    def is_local(self) -> bool:
        """True for the in-process ``local`` network."""
        return self.scheme == "local"


def parse_transport_url(url: str, *,
                        what: str = "AgoraServiceConfig.transport_url") -> TransportURL:
    """Parse and validate a transport URL.

    Parameters
    ----------
    url : str
        ``""`` or ``"local://"`` / ``"local://<hub>"`` for the in-process network;
        ``"janus://host[:port][/path][?k=v...]"`` for the Janus HTTP API (port 8088,
        path ``/janus`` by default); ``"janus+ws://host[:port][/path][?k=v...]"`` for
        the Janus WebSocket API (port 8188 by default).
    what : str
        How to name the value in error messages.

    Returns
    -------
    TransportURL

    Raises
    ------
    TypeError
        ``url`` is not a str.
    ValueError
        Unknown scheme, missing host, bad port.
    """
    if not isinstance(url, str):
        raise TypeError(f"{what} must be a str ({_TRANSPORT_FORMS}), got {type_name(url)} {url!r}")
    text = url.strip()
    if text == "":
        return TransportURL(scheme="local")
    if "://" not in text:
        raise ValueError(f"{what} must be {_TRANSPORT_FORMS}, got {_redacted(url)!r}")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise ValueError(f"{what} must be {_TRANSPORT_FORMS}, got {_redacted(url)!r} ({exc})") from None
    scheme = parts.scheme.lower()
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if scheme == "local":
        return TransportURL(scheme="local", host=parts.netloc, params=params)
    if scheme == "sip":
        return _parse_sip(parts, params, url, what)
    if scheme not in _JANUS_DEFAULTS:
        raise ValueError(f"{what} must be {_TRANSPORT_FORMS}, got {_redacted(url)!r}")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{what} needs a host ({scheme}://host:port), got {_redacted(url)!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{what} has an invalid port (expected 1..65535), got {_redacted(url)!r}") from None
    default_port, default_path = _JANUS_DEFAULTS[scheme]
    if port is None:
        port = default_port
    elif port == 0:
        raise ValueError(f"{what} has an invalid port (expected 1..65535), got {_redacted(url)!r}")
    path = parts.path or default_path
    if params.get("srtp", "80") not in ("32", "80"):
        raise ValueError(f"{what}: srtp must be 32 or 80 (SRTP tag bits of the receive legs), "
                         f"got {params['srtp']!r}")
    if "peer_timeout" in params:
        try:
            timeout = float(params["peer_timeout"])
        except ValueError:
            timeout = -1.0
        if not (timeout == 0 or 2 <= timeout <= 3600):
            raise ValueError(f"{what}: peer_timeout must be 0 (off) or 2..3600 seconds of silence "
                             f"after which a remote user is dropped, got {params['peer_timeout']!r}")
    if params.get("pin", "token") != "token":
        raise ValueError(f"{what}: pin must be 'token' (the room pin is the connection token), "
                         f"got {params['pin']!r}")
    return TransportURL(scheme=scheme, host=host, port=port, path=path, params=params)


#: sip:// ``srtp=`` values -> agora_rtc/sip.h enum agora_sip_srtp
SIP_SRTP_MODES = {"off": 0, "optional": 1, "mandatory": 2}

_SIP_USER = re.compile(r"^[A-Za-z0-9+_.\-]{1,63}$")


def _parse_sip(parts, params: dict, url: str, what: str) -> TransportURL:
    """``sip://[user[:password]@]ip[:port][?media_ip=ip&dial=allow&registrar=host:port&expires=S
    &registrar_transport=udp|tls&srtp=off|optional|mandatory&tls_port=P&cert=FILE&key=FILE]``:
    port 5060 by default, 0 = any; tls_port: SIP over TLS there too (0 = any) with the PEM
    certificate and key files; registrar_transport=tls registers over it."""
    import ipaddress
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{what}: sip:// needs the IP address to listen on (sip://127.0.0.1:5060), "
                         f"got {_redacted(url)!r}") from None
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{what} has an invalid port (expected 0..65535), got {_redacted(url)!r}") from None
    user = parts.username or ""
    if user and not _SIP_USER.match(user):
        raise ValueError(f"{what}: the SIP user may only contain A-Z a-z 0-9 + _ . - (1..63), "
                         f"got {user!r}")
    if "media_ip" in params:
        try:
            ipaddress.ip_address(params["media_ip"])
        except ValueError:
            raise ValueError(f"{what}: media_ip must be an IP address, got {params['media_ip']!r}") from None
    registrar = params.get("registrar")
    if registrar is not None and not re.match(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$", registrar):
        raise ValueError(f"{what}: registrar must be host[:port], got {registrar!r}")
    if parts.password is not None and registrar is None:
        raise ValueError(f"{what}: a SIP password is for a registrar: add registrar=host:port")
    if registrar is not None and not user:
        raise ValueError(f"{what}: registering needs the user: sip://user:password@ip:port?registrar=...")
    if "expires" in params and not (params["expires"].isdigit() and 60 <= int(params["expires"]) <= 86400):
        raise ValueError(f"{what}: expires must be 60..86400 seconds, got {params['expires']!r}")
    if "keepalive" in params:
        if not (params["keepalive"].isdigit() and 1 <= int(params["keepalive"]) <= 86400):
            raise ValueError(f"{what}: keepalive must be 1..86400 seconds (OPTIONS to the registrar), "
                             f"got {params['keepalive']!r}")
        if registrar is None:
            raise ValueError(f"{what}: keepalive sends OPTIONS to the registrar: add registrar=host:port")
    if params.get("srtp", "off") not in SIP_SRTP_MODES:
        raise ValueError(f"{what}: srtp must be 'off', 'optional' or 'mandatory' (SRTP with SDES keys "
                         f"on calls), got {params['srtp']!r}")
    if "tls_port" in params:
        if not (params["tls_port"].isdigit() and int(params["tls_port"]) <= 65535):
            raise ValueError(f"{what}: tls_port must be 0..65535 (SIP over TLS; 0 = any), "
                             f"got {params['tls_port']!r}")
        if not params.get("cert"):
            raise ValueError(f"{what}: SIP over TLS (tls_port) needs cert=<PEM certificate file> "
                             "(and key=<PEM key file> unless the key is in the same file)")
    elif "cert" in params or "key" in params:
        raise ValueError(f"{what}: cert= / key= are for SIP over TLS: add tls_port=<port>")
    if "registrar_transport" in params:
        if params["registrar_transport"] not in ("udp", "tls"):
            raise ValueError(f"{what}: registrar_transport must be 'udp' or 'tls', "
                             f"got {params['registrar_transport']!r}")
        if registrar is None:
            raise ValueError(f"{what}: registrar_transport is for a registrar: add registrar=host:port")
        if params["registrar_transport"] == "tls" and "tls_port" not in params:
            raise ValueError(f"{what}: registering over TLS needs SIP over TLS: add "
                             "tls_port=<port>&cert=<PEM file>")
    if params.get("dial", "deny") not in ("allow", "deny"):
        raise ValueError(f"{what}: dial must be 'allow' or 'deny' (outbound calls), got {params['dial']!r}")
    if parts.password is not None:
        params["password"] = parts.password   # secret: redacted in messages, kept out of repr
    return TransportURL(scheme="sip", host=host, port=5060 if port is None else port, params=params,
                        user=user)


_URL_PASSWORD = re.compile(r"(://[^:@/]*:)[^@/]*@")
_SECRET_PARAM = re.compile(r"((?:admin_key|secret)=)[^&#\s]*", re.IGNORECASE)


def _redacted(url: str) -> str:
    """The URL with the values of secret parameters (admin_key, a SIP password) replaced,
    for messages."""
    return _URL_PASSWORD.sub(r"\1***@", _SECRET_PARAM.sub(r"\1***", url))


def resolve_transport_url(config: Optional["AgoraServiceConfig"] = None) -> str:
    """Return the transport URL a service should use.

    Order: ``config.transport_url`` if not empty; else the environment variable
    ``AGORA_RTC_TRANSPORT_URL`` if set and not empty; else ``"local://"`` (the
    in-process network). This lets unmodified Agora sample code, which only
    sets ``appid``, join a real server: export the variable before running it.

    Parameters
    ----------
    config : AgoraServiceConfig, optional
        The service configuration; None behaves like an empty one.

    Returns
    -------
    str
        A validated URL (stripped of surrounding blanks), never empty.

    Raises
    ------
    TypeError, ValueError
        The chosen URL is malformed; the message names where it came from
        (the config field or the environment variable).
    """
    url = getattr(config, "transport_url", "") if config is not None else ""
    if url is None:
        url = ""
    if not isinstance(url, str):
        raise TypeError(
            f"AgoraServiceConfig.transport_url must be a str ({_TRANSPORT_FORMS}), "
            f"got {type_name(url)} {url!r}")
    url = url.strip()
    what = "AgoraServiceConfig.transport_url"
    if not url:
        url = os.environ.get(TRANSPORT_URL_ENV, "").strip()
        what = f"environment variable {TRANSPORT_URL_ENV}"
    if not url:
        return "local://"
    parse_transport_url(url, what=what)
    return url
