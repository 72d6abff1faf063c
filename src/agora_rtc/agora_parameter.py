"""AgoraParameter: the original SDK's typed key/value parameter interface.

Obtained with ``AgoraService.get_agora_parameter()`` (service-wide) or
``RTCConnection.get_agora_parameter()`` (one connection; a key not set there
reads the service's value). Only keys that change real engine behaviour are
accepted; every other key, including the Agora native engine's private keys
(``che.audio.*``, ``rtc.*``), is refused with ``ERR_NOT_SUPPORTED`` and nothing
is stored. A known key with a value of the wrong type or out of range is
refused with ``ERR_INVALID_ARGUMENT``. Each refusal is also logged (warning,
logger ``agora_rtc``) with the reason.

Keys
----
``agora_rtc.prefill_ms`` (int, 0..500, service only)
    Start-of-round burst of connections created from now on (the initial value
    is ``AgoraServiceConfig.prefill_ms``; existing connections keep theirs; the
    RTP transport never prefills).
``agora_rtc.stats_interval_ms`` (int, 100..60000, default 2000, service only)
    Period of on_transport_stats and the audio track statistics callbacks
    (see :mod:`agora_rtc.stats`); a new period starts when it is set.
``agora_rtc.vad.<field>`` (``<field>`` an :class:`AudioVadConfigV2` attribute)
    The VAD configuration used by ``register_audio_frame_observer(observer, 1)``
    when no ``vad_configure`` is passed. Types: ``preStartRecognizeCount``,
    ``startRecognizeCount``, ``stopRecognizeCount``, ``startVoiceProb``,
    ``stopVoiceProb``, ``startRunCount`` int; ``activePercent``, ``inactivePercent``,
    ``startRmsThreshold``, ``stopRmsThreshold``, ``adaptiveRmsFactor`` number;
    ``adaptiveRms`` bool. Ranges as in AudioVadConfigV2.
``agora_rtc.audio_frame_dispatch`` (string, ``"direct"`` or ``"queued"``)
    The default ``dispatch`` of ``register_audio_frame_observer``.
``agora_rtc.max_queued_frames`` (int, 1..1000000, default 3000)
    The default ``max_queued_frames`` of ``register_audio_frame_observer``.
``agora_rtc.max_backlog_ms`` (int, 10..60000, default 1000)
    The default ``max_backlog_ms`` of ``register_audio_frame_observer``: audio
    that may wait per remote user for the observer.
``agora_rtc.stream_message_rate_limit`` (bool, default true)
    Enforce the per-second stream-message limits of ``send_stream_message``
    (60 messages per data stream, 30 KiB over all streams of a connection). Set on a connection it applies at
    once; set on the service it applies to connections created afterwards.
``agora_rtc.audio_packet_ms`` (int, 10 or 20, default 20)
    Duration of the Opus packets the RTP transport (Janus) sends: 10 ms halves
    the packetisation delay of the published audio, for twice the packets and
    header bytes. Set on a connection it applies from the next packet on; set
    on the service it applies to connections created afterwards. The local
    network carries PCM and ignores it; G.711 / G.722 calls send the packet
    length the caller's ``a=ptime`` asks for. Any received packet duration
    (10, 20, up to 120 ms) is played whatever this says.
``agora_rtc.opus_complexity`` (int, 0..10, default 10, libopus's default)
    libopus's encoder complexity for the Opus the RTP transport (Janus) sends:
    its CPU / quality trade-off. Measured (benchmarks/bench_opus_complexity.py,
    our mono 32 kbit/s speech): 9 gives the same packets as 10; 5 halves the
    encoding CPU for a lower quality (wide-band PESQ 3.16 against 3.71); 0
    costs a fifth (PESQ 2.46).
    Set on a connection it applies from the next packet on; set on the service
    it applies to connections created afterwards. The local network carries
    PCM and ignores it; pushed Opus packets are sent as they are.

``set_parameters(json)`` takes a JSON object of such keys, either flat
(``{"agora_rtc.vad.stopRecognizeCount": 30}``) or nested
(``{"agora_rtc": {"vad": {"stopRecognizeCount": 30}}}``); it applies all of
them or none. Setters return 0 or a negative ``ERR_*`` code; getters return
the value, or None for an unknown key or a getter of the wrong type (as the
original did). A key or value of the wrong Python type raises TypeError.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Optional

from agora_rtc.errors import ERR_INVALID_ARGUMENT, ERR_NOT_SUPPORTED, ERR_OK
from agora_rtc.voice_detection import AudioVadConfigV2

_log = logging.getLogger("agora_rtc")

PREFILL_MS = "agora_rtc.prefill_ms"
VAD_PREFIX = "agora_rtc.vad."
AUDIO_FRAME_DISPATCH = "agora_rtc.audio_frame_dispatch"
MAX_QUEUED_FRAMES = "agora_rtc.max_queued_frames"
MAX_BACKLOG_MS = "agora_rtc.max_backlog_ms"
STREAM_MESSAGE_RATE_LIMIT = "agora_rtc.stream_message_rate_limit"
STATS_INTERVAL_MS = "agora_rtc.stats_interval_ms"
AUDIO_PACKET_MS = "agora_rtc.audio_packet_ms"
OPUS_COMPLEXITY = "agora_rtc.opus_complexity"

#: libopus complexity of the Opus we send (the engine's AGORA_DEFAULT_OPUS_COMPLEXITY)
DEFAULT_OPUS_COMPLEXITY = 10

_VAD_TYPES = {
    "preStartRecognizeCount": int, "startRecognizeCount": int, "stopRecognizeCount": int,
    "activePercent": float, "inactivePercent": float, "startVoiceProb": int,
    "stopVoiceProb": int, "startRmsThreshold": float, "stopRmsThreshold": float,
    "adaptiveRms": bool, "adaptiveRmsFactor": float, "startRunCount": int,
}
_DEFAULT_VAD = AudioVadConfigV2()

#: key -> value type (int, float, bool or str) of every key a service accepts.
SERVICE_KEYS = {PREFILL_MS: int, STATS_INTERVAL_MS: int, AUDIO_FRAME_DISPATCH: str, MAX_QUEUED_FRAMES: int,
                MAX_BACKLOG_MS: int,
                STREAM_MESSAGE_RATE_LIMIT: bool, AUDIO_PACKET_MS: int, OPUS_COMPLEXITY: int,
                **{VAD_PREFIX + f: t for f, t in _VAD_TYPES.items()}}
#: keys a connection accepts (the service's, without the service-wide prefill).
CONNECTION_KEYS = {k: t for k, t in SERVICE_KEYS.items() if k not in (PREFILL_MS, STATS_INTERVAL_MS)}


class _Refused(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code


def _check_key(what: str, key) -> str:
    if not isinstance(key, str):
        raise TypeError(f"AgoraParameter.{what}: key must be a str, got {type(key).__name__}")
    return key


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flatten(prefix: str, obj: dict, out: dict) -> None:
    for k, v in obj.items():
        name = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            _flatten(name, v, out)
        else:
            out[name] = v


class AgoraParameter:
    """Typed parameters of a service or a connection (see the module docstring
    for the keys). Not created directly."""

    def __init__(self, keys: dict, alive: Callable[[str], None],
                 parent: Optional["AgoraParameter"] = None,
                 initial: Optional[dict] = None,
                 apply: Optional[Callable[[str, Any], int]] = None):
        self._keys = keys
        self._alive = alive
        self._parent = parent
        self._apply = apply
        self._values: dict = dict(initial or {})
        self._lock = threading.Lock()

    # ---- what the engine reads ----

    def _value(self, key: str):
        with self._lock:
            if key in self._values:
                return self._values[key]
        if self._parent is not None:
            return self._parent._value(key)
        if key.startswith(VAD_PREFIX):
            return getattr(_DEFAULT_VAD, key[len(VAD_PREFIX):])
        return {AUDIO_FRAME_DISPATCH: "direct", MAX_QUEUED_FRAMES: 3000, MAX_BACKLOG_MS: 1000,
                STREAM_MESSAGE_RATE_LIMIT: True, AUDIO_PACKET_MS: 20,
                OPUS_COMPLEXITY: DEFAULT_OPUS_COMPLEXITY}.get(key)

    def vad_config(self) -> AudioVadConfigV2:
        """The AudioVadConfigV2 the ``agora_rtc.vad.*`` keys describe (a copy)."""
        cfg = AudioVadConfigV2()
        for field in _VAD_TYPES:
            setattr(cfg, field, self._value(VAD_PREFIX + field))
        return cfg

    # ---- validation ----

    def _validated(self, key: str, value, typ) -> Any:
        if key not in self._keys:
            raise _Refused(ERR_NOT_SUPPORTED, f"unknown key {key!r}; supported: {', '.join(sorted(self._keys))}")
        want = self._keys[key]
        ok = (_is_int(value) if want is int else
              isinstance(value, bool) if want is bool else
              isinstance(value, str) if want is str else
              (isinstance(value, float) or _is_int(value)))
        if typ is not None and typ is not want:
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} is a {want.__name__} parameter")
        if not ok:
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} takes a {want.__name__}, got {value!r}")
        if want is float:
            value = float(value)
        if key == PREFILL_MS and not 0 <= value <= 500:
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} must be 0..500, got {value}")
        if key == STATS_INTERVAL_MS and not 100 <= value <= 60000:
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} must be 100..60000, got {value}")
        if key == MAX_QUEUED_FRAMES and not 1 <= value <= 1_000_000:
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} must be 1..1000000, got {value}")
        if key == MAX_BACKLOG_MS and not 10 <= value <= 60_000:
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} must be 10..60000, got {value}")
        if key == AUDIO_PACKET_MS and value not in (10, 20):
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} must be 10 or 20, got {value}")
        if key == OPUS_COMPLEXITY and not 0 <= value <= 10:
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} must be 0..10, got {value}")
        if key == AUDIO_FRAME_DISPATCH and value not in ("direct", "queued"):
            raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r} must be 'direct' or 'queued', got {value!r}")
        if key.startswith(VAD_PREFIX):
            cfg = self.vad_config()
            setattr(cfg, key[len(VAD_PREFIX):], value)
            try:
                cfg._native()
            except (TypeError, ValueError) as exc:
                raise _Refused(ERR_INVALID_ARGUMENT, f"{key!r}: {exc}") from None
        return value

    def _set_many(self, what: str, items: dict, typ=None) -> int:
        self._alive(f"AgoraParameter.{what}")
        try:
            checked = {k: self._validated(k, v, typ) for k, v in items.items()}
            if self._apply is not None:
                for k, v in checked.items():
                    rc = self._apply(k, v)
                    if rc != ERR_OK:
                        raise _Refused(rc, f"the engine refused {k!r}={v!r}")
        except _Refused as exc:
            _log.warning("AgoraParameter.%s refused (%d): %s", what, exc.code, exc)
            return exc.code
        with self._lock:
            self._values.update(checked)
        return ERR_OK

    # ---- setters (original names) ----

    def set_int(self, key: str, value: int) -> int:
        if not _is_int(value):
            raise TypeError(f"AgoraParameter.set_int: value must be an int, got {type(value).__name__}")
        return self._set_many("set_int", {_check_key("set_int", key): value}, int)

    def set_uint(self, key: str, value: int) -> int:
        if not _is_int(value):
            raise TypeError(f"AgoraParameter.set_uint: value must be an int, got {type(value).__name__}")
        if value < 0:
            raise ValueError(f"AgoraParameter.set_uint: value must be >= 0, got {value}")
        return self._set_many("set_uint", {_check_key("set_uint", key): value}, int)

    def set_bool(self, key: str, value: bool) -> int:
        if not isinstance(value, (bool, int)):
            raise TypeError(f"AgoraParameter.set_bool: value must be a bool, got {type(value).__name__}")
        return self._set_many("set_bool", {_check_key("set_bool", key): bool(value)}, bool)

    def set_number(self, key: str, value: float) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"AgoraParameter.set_number: value must be a number, got {type(value).__name__}")
        return self._set_many("set_number", {_check_key("set_number", key): float(value)}, float)

    def set_string(self, key: str, value: str) -> int:
        if not isinstance(value, str):
            raise TypeError(f"AgoraParameter.set_string: value must be a str, got {type(value).__name__}")
        return self._set_many("set_string", {_check_key("set_string", key): value}, str)

    def set_array(self, key: str, json_src: str) -> int:
        """No supported key is an array: always ERR_NOT_SUPPORTED (after checking types)."""
        _check_key("set_array", key)
        if not isinstance(json_src, str):
            raise TypeError(f"AgoraParameter.set_array: json_src must be a str, got {type(json_src).__name__}")
        self._alive("AgoraParameter.set_array")
        _log.warning("AgoraParameter.set_array refused (%d): no array parameters (%r)", ERR_NOT_SUPPORTED, key)
        return ERR_NOT_SUPPORTED

    def set_parameters(self, json_src: str) -> int:
        """Apply a JSON object of keys (flat or nested by '.'): all or none."""
        if not isinstance(json_src, (str, bytes, bytearray)):
            raise TypeError("AgoraParameter.set_parameters: json_src must be a str (a JSON object), "
                            f"got {type(json_src).__name__}")
        try:
            obj = json.loads(json_src)
        except (ValueError, RecursionError) as exc:
            _log.warning("AgoraParameter.set_parameters refused (%d): not JSON: %s", ERR_INVALID_ARGUMENT, exc)
            self._alive("AgoraParameter.set_parameters")
            return ERR_INVALID_ARGUMENT
        if not isinstance(obj, dict) or not obj:
            _log.warning("AgoraParameter.set_parameters refused (%d): expected a non-empty JSON object",
                         ERR_INVALID_ARGUMENT)
            self._alive("AgoraParameter.set_parameters")
            return ERR_INVALID_ARGUMENT
        flat: dict = {}
        try:
            _flatten("", obj, flat)
        except RecursionError:
            _log.warning("AgoraParameter.set_parameters refused (%d): nested too deeply", ERR_INVALID_ARGUMENT)
            return ERR_INVALID_ARGUMENT
        return self._set_many("set_parameters", flat)

    # ---- getters (original names; None when unknown or of another type) ----

    def _get(self, what: str, key, want):
        key = _check_key(what, key)
        self._alive(f"AgoraParameter.{what}")
        if self._keys.get(key) is not want:
            return None
        return self._value(key)

    def get_int(self, key: str) -> Optional[int]:
        return self._get("get_int", key, int)

    def get_uint(self, key: str) -> Optional[int]:
        value = self._get("get_uint", key, int)
        return value if value is None or value >= 0 else None

    def get_bool(self, key: str) -> Optional[bool]:
        return self._get("get_bool", key, bool)

    def get_number(self, key: str) -> Optional[float]:
        key = _check_key("get_number", key)
        if self._keys.get(key) is int:
            value = self._get("get_number", key, int)
            return None if value is None else float(value)
        return self._get("get_number", key, float)

    def get_string(self, key: str) -> Optional[str]:
        return self._get("get_string", key, str)

    def get_object(self, key: str) -> Optional[str]:
        """JSON object of every supported key under ``key`` (e.g. ``"agora_rtc.vad"``), or None."""
        key = _check_key("get_object", key)
        self._alive("AgoraParameter.get_object")
        prefix = key + "."
        found = {k[len(prefix):]: self._value(k) for k in sorted(self._keys) if k.startswith(prefix)}
        return json.dumps(found) if found else None

    def get_array(self, key: str, json_src: str = "") -> Optional[str]:
        """No supported key is an array: None."""
        _check_key("get_array", key)
        self._alive("AgoraParameter.get_array")
        return None

    def release(self) -> None:
        """Nothing to free (kept for the original's interface)."""

    def __repr__(self):
        with self._lock:
            return f"AgoraParameter({self._values!r})"
