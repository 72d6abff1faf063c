"""The argument checks of the whole API, one implementation of each.

Each raises TypeError or ValueError with a message naming what was checked and
what was expected. Two kinds of subject, named the way a user sees them:

* a call argument, ``"<call>: <argument> ..."`` (``check_int``, ``check_choice``,
  ``check_id``, ``check_user_id``, ``as_payload``), e.g.
  ``push_audio_pcm_data: sample_rate must be one of 8000, ...``;
* a field of a configuration record, ``"<Record>.<field> ..."`` (``check_field_*``,
  used by the records' ``_validated()``), e.g.
  ``AgoraServiceConfig.prefill_ms must be between 0 and 500, got 900``.

Integers are accepted through ``__index__`` (int, numpy integers); bool and
float are rejected because they are almost always a mistake here.
"""

from __future__ import annotations

import operator
import os
import re
from enum import IntEnum
from typing import Any, Iterable, Optional, Type

MAX_ID_BYTES = 64
# Agora's allowed characters for channel names and string user ids.
_ID_RE = re.compile(r"^[A-Za-z0-9 !#$%&()+\-:;<=.>?@\[\]^_{}|~,]+$")


def type_name(value: object) -> str:
    return type(value).__name__


def _index(value: Any) -> Optional[int]:
    """``value`` as an int when it is an integer (bool excluded), else None."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _check_range(subject: str, ivalue: int, lo: Optional[int], hi: Optional[int]) -> int:
    if lo is not None and ivalue < lo:
        if hi is not None:
            raise ValueError(f"{subject} must be between {lo} and {hi}, got {ivalue}")
        raise ValueError(f"{subject} must be >= {lo}, got {ivalue}")
    if hi is not None and ivalue > hi:
        if lo is not None:
            raise ValueError(f"{subject} must be between {lo} and {hi}, got {ivalue}")
        raise ValueError(f"{subject} must be <= {hi}, got {ivalue}")
    return ivalue


# ---------------------------------------------------------------------------
# Call arguments: "<call>: <argument> must be ..."
# ---------------------------------------------------------------------------


def check_int(what: str, name: str, value: Any, *, lo: Optional[int] = None,
              hi: Optional[int] = None) -> int:
    """Return ``value`` as an int, or raise naming ``what: name``."""
    ivalue = _index(value)
    if ivalue is None:
        raise TypeError(f"{what}: {name} must be an int, got {type_name(value)}")
    return _check_range(f"{what}: {name}", ivalue, lo, hi)


def check_choice(what: str, name: str, value: Any, choices: Iterable[int]) -> int:
    """Return ``value`` as an int if it is one of ``choices``, or raise listing them."""
    value = check_int(what, name, value)
    if value not in choices:
        raise ValueError(f"{what}: {name} must be one of {', '.join(map(str, choices))}, got {value}")
    return value


def check_id(what: str, name: str, value: Any) -> bytes:
    """Channel ids and user ids: non-empty str, <= 64 bytes, Agora's character set."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # numeric uids of older samples
    if not isinstance(value, str):
        raise TypeError(f"{what}: {name} must be a str, got {type_name(value)}")
    raw = value.encode("utf-8")
    if not raw:
        raise ValueError(f"{what}: {name} must not be empty")
    if len(raw) > MAX_ID_BYTES:
        raise ValueError(f"{what}: {name} must be at most {MAX_ID_BYTES} bytes, got {len(raw)}")
    if not _ID_RE.match(value):
        raise ValueError(f"{what}: {name} may only contain a-z, A-Z, 0-9, space and "
                         f"!#$%&()+-:;<=.>?@[]^_{{}}|~, (got {value!r})")
    return raw


def check_user_id(what: str, value: Any) -> bytes:
    return check_id(what, "user_id", value)


def as_payload(what: str, data: Any) -> bytes:
    """Stream message / metadata payload: str is sent as UTF-8, bytes-likes as-is."""
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what}: data must be str, bytes, bytearray or memoryview, got {type_name(data)}")


# ---------------------------------------------------------------------------
# Fields of configuration records: "<Record>.<field> must be ..., got <type> <value>"
# ---------------------------------------------------------------------------


def check_field_int(owner: str, name: str, value: Any, *, lo: Optional[int] = None,
                    hi: Optional[int] = None) -> int:
    """Return ``value`` as an int, or raise naming ``owner.name``."""
    ivalue = _index(value)
    if ivalue is None:
        raise TypeError(f"{owner}.{name} must be an int, got {type_name(value)} {value!r}")
    return _check_range(f"{owner}.{name}", ivalue, lo, hi)


def check_field_flag(owner: str, name: str, value: Any) -> None:
    """A 0/1 switch: accept bool or the ints 0 and 1."""
    if isinstance(value, bool):
        return
    ivalue = _index(value)
    if ivalue is None:
        raise TypeError(
            f"{owner}.{name} must be 0/1 or a bool, got {type_name(value)} {value!r}")
    if ivalue not in (0, 1):
        raise ValueError(f"{owner}.{name} must be 0/1 or a bool, got {ivalue}")


def check_field_enum(owner: str, name: str, value: Any, enum_cls: Type[IntEnum],
                     exclude: Iterable[int] = ()) -> IntEnum:
    """Return ``enum_cls(value)`` or raise naming the field and the valid members."""
    excluded = set(exclude)
    choices = ", ".join(f"{m.value}={m.name}" for m in enum_cls if m.value not in excluded)
    ivalue = _index(value)
    if ivalue is None:
        raise TypeError(
            f"{owner}.{name} must be a valid {enum_cls.__name__} ({choices}), "
            f"got {type_name(value)} {value!r}")
    try:
        member = enum_cls(ivalue)
    except ValueError:
        member = None
    if member is None or member.value in excluded:
        raise ValueError(
            f"{owner}.{name} must be a valid {enum_cls.__name__} ({choices}), got {ivalue}")
    return member


def check_field_str(owner: str, name: str, value: Any, *, allow_none: bool = False,
                    allow_path: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, str):
        return
    if allow_path and isinstance(value, os.PathLike):
        return
    expected = "a str"
    if allow_path:
        expected += " or os.PathLike"
    if allow_none:
        expected += " or None"
    raise TypeError(f"{owner}.{name} must be {expected}, got {type_name(value)} {value!r}")


def check_field_instance(owner: str, name: str, value: Any, cls: type, *,
                         allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, cls):
        article = "an" if cls.__name__[:1] in "AEIOU" else "a"
        expected = f"{article} {cls.__name__}" + (" or None" if allow_none else "")
        raise TypeError(f"{owner}.{name} must be {expected}, got {type_name(value)} {value!r}")
