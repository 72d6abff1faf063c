"""Argument checks shared by the API classes: each raises TypeError or
ValueError with a message naming the call, the argument and what was expected."""
from __future__ import annotations

import re

MAX_ID_BYTES = 64
# Agora's allowed characters for channel names and string user ids.
_ID_RE = re.compile(r"^[A-Za-z0-9 !#$%&()+\-:;<=.>?@\[\]^_{}|~,]+$")


def check_int(what: str, name: str, value) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{what}: {name} must be an int, got {type(value).__name__}")
    return int(value)


def check_choice(what: str, name: str, value, choices) -> int:
    value = check_int(what, name, value)
    if value not in choices:
        raise ValueError(f"{what}: {name} must be one of {', '.join(map(str, choices))}, got {value}")
    return value


def check_id(what: str, name: str, value) -> bytes:
    """Channel ids and user ids: non-empty str, <= 64 bytes, Agora's character set."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # numeric uids of older samples
    if not isinstance(value, str):
        raise TypeError(f"{what}: {name} must be a str, got {type(value).__name__}")
    raw = value.encode("utf-8")
    if not raw:
        raise ValueError(f"{what}: {name} must not be empty")
    if len(raw) > MAX_ID_BYTES:
        raise ValueError(f"{what}: {name} must be at most {MAX_ID_BYTES} bytes, got {len(raw)}")
    if not _ID_RE.match(value):
        raise ValueError(f"{what}: {name} may only contain a-z, A-Z, 0-9, space and "
                         f"!#$%&()+-:;<=.>?@[]^_{{}}|~, (got {value!r})")
    return raw


def check_user_id(what: str, value) -> bytes:
    return check_id(what, "user_id", value)


def as_payload(what: str, data) -> bytes:
    """Stream message / metadata payload: str is sent as UTF-8, bytes-likes as-is."""
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what}: data must be str, bytes, bytearray or memoryview, got {type(data).__name__}")
