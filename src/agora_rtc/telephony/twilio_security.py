"""Only Twilio may start a stream: signed webhooks and one-time stream tokens.

Twilio signs each webhook request (header ``X-Twilio-Signature``): HMAC-SHA1,
keyed with the account's auth token, of the URL it requested followed by each
POST field's name and value, fields sorted by name, base64-encoded (Twilio's
"Webhooks security"). When the endpoint has the auth token, it answers only
signed webhooks, and the TwiML it returns carries a fresh random token as a
stream ``<Parameter>``; Twilio hands it back in the ``start`` message's
customParameters, and a stream starts only with a token the endpoint issued,
unused and at most TOKEN_TTL_S old. So a WebSocket client that never went
through a signed webhook cannot put a caller into the channel.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Dict, Iterable, Tuple

__all__ = ["webhook_signature", "signature_valid", "StreamTokens", "TOKEN_PARAMETER"]

#: The stream parameter that carries the token (removed from customParameters).
TOKEN_PARAMETER = "agora_rtc_stream_token"
TOKEN_TTL_S = 120.0
#: Tokens waiting for their stream, at most (a webhook flood cannot grow memory).
MAX_PENDING_TOKENS = 10_000


def webhook_signature(auth_token: str, url: str, fields: Iterable[Tuple[str, str]]) -> str:
    data = url + "".join(name + value for name, value in sorted(fields))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_valid(auth_token: str, url: str, fields: Iterable[Tuple[str, str]], signature: str) -> bool:
    return hmac.compare_digest(webhook_signature(auth_token, url, fields), signature)


class StreamTokens:
    """One-time tokens, each good for one stream start within TOKEN_TTL_S."""

    def __init__(self):
        self._pending: Dict[str, float] = {}   # token -> expiry (monotonic)

    def issue(self) -> str:
        """A new token; raises OverflowError when MAX_PENDING_TOKENS wait."""
        now = time.monotonic()
        if len(self._pending) >= MAX_PENDING_TOKENS:
            self._pending = {t: exp for t, exp in self._pending.items() if exp > now}
            if len(self._pending) >= MAX_PENDING_TOKENS:
                raise OverflowError("too many streams announced and not started")
        token = secrets.token_urlsafe(24)
        self._pending[token] = now + TOKEN_TTL_S
        return token

    def redeem(self, token: str) -> bool:
        expiry = self._pending.pop(token, None)
        return expiry is not None and expiry > time.monotonic()
