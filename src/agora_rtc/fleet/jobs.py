"""A fleet job: "an agent for room R on Janus J", as stored in the jobs stream.

`parse_job` checks every field of a stream entry and raises `JobError` with the
reason; a worker records that reason on the job (state ``refused``) and goes on.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping

MAX_ROOM_LEN = 128
MAX_METADATA_BYTES = 64 * 1024
JANUS_SCHEMES = ("janus://", "janus+ws://")


class JobError(ValueError):
    """A job that cannot be run; ``str(err)`` is the reason recorded on the job."""


@dataclass(frozen=True)
class Job:
    id: str                        # the stream entry id
    room: str                      # the channel id the agent joins
    janus: str                     # the Janus server's name in the fleet
    janus_url: str                 # its transport URL (with the admin key)
    metadata: Dict[str, Any] = field(default_factory=dict)
    dispatched_at: float = 0.0     # time.time() when dispatched

    def fields(self) -> Dict[str, str]:
        """The stream entry's fields."""
        return {"room": self.room, "janus": self.janus, "janus_url": self.janus_url,
                "metadata": json.dumps(self.metadata), "dispatched_at": repr(self.dispatched_at)}


def check_room(room: Any) -> str:
    if not isinstance(room, str) or not room:
        raise JobError(f"room must be a non-empty string, got {room!r}")
    if len(room) > MAX_ROOM_LEN:
        raise JobError(f"room id longer than {MAX_ROOM_LEN} characters")
    if not room.isprintable() or any(c.isspace() or c == ":" for c in room):
        raise JobError(f"room id {room!r} has spaces, ':' or control characters")
    return room


def check_metadata(metadata: Any) -> Dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise JobError(f"metadata must be a JSON object, got {type(metadata).__name__}")
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        raise JobError(f"metadata larger than {MAX_METADATA_BYTES} bytes")
    return metadata


def _text(fields: Mapping[Any, Any], name: str) -> str:
    value = fields.get(name, fields.get(name.encode()))
    if value is None:
        raise JobError(f"missing field {name!r}")
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise JobError(f"field {name!r} is not UTF-8") from None
    return value


def parse_job(job_id: str, fields: Mapping[Any, Any]) -> Job:
    """The `Job` of a stream entry, or `JobError` saying what is wrong with it."""
    room = check_room(_text(fields, "room"))
    janus = _text(fields, "janus")
    if not janus or len(janus) > MAX_ROOM_LEN or any(c.isspace() or c == ":" for c in janus):
        raise JobError(f"bad Janus name {janus!r}")
    url = _text(fields, "janus_url")
    if not url.startswith(JANUS_SCHEMES):
        raise JobError(f"janus_url must start with janus:// or janus+ws://, got {url[:40]!r}")
    try:
        metadata = json.loads(_text(fields, "metadata"))
    except json.JSONDecodeError as e:
        raise JobError(f"metadata is not JSON: {e}") from None
    try:
        at = float(_text(fields, "dispatched_at"))
    except ValueError:
        raise JobError("dispatched_at is not a number") from None
    return Job(job_id, room, janus, url, check_metadata(metadata), at)


def new_job(room: str, janus: str, janus_url: str, metadata: Any = None) -> Job:
    return Job("", check_room(room), janus, janus_url, check_metadata(metadata), time.time())
