"""AgoraService: one per process; creates connections and owns the engine."""
from __future__ import annotations

import logging
import os
from typing import Optional

from agora_rtc import _exit
from agora_rtc._core import _engine
from agora_rtc._lifecycle import ReleasedOnExit
from agora_rtc.agora_parameter import PREFILL_MS, SERVICE_KEYS, STATS_INTERVAL_MS, AgoraParameter
from agora_rtc.agora_base import (AgoraServiceConfig, RTCConnConfig, RtcConnectionPublishConfig,
                                  parse_transport_url, resolve_transport_url)
from agora_rtc.errors import ForkedProcessError, InvalidStateError, NotSupportedError, ReleasedError
from agora_rtc.interrupt_notices import InterruptNotices
from agora_rtc.rtc_connection import RTCConnection

_log = logging.getLogger("agora_rtc")


class AgoraService(_engine.Service, ReleasedOnExit):
    """The SDK service: ``initialize(config)`` once, then create connections.

    The transport is chosen by ``config.transport_url`` (or the environment
    variable AGORA_RTC_TRANSPORT_URL when that is empty): empty or
    ``local://`` is the in-process network. Usable as a context manager;
    ``release()`` releases every connection still open, and an atexit hook
    releases whatever is left when the interpreter exits. With a Janus
    transport, SIGTERM and SIGINT also leave cleanly first (handlers installed
    only where the application has none: see :func:`agora_rtc.shutdown`).

    Fork: the engine threads do not survive ``os.fork()``. In a forked child
    every service and connection created before the fork raises
    ``ForkedProcessError`` on use, and ``release()`` (or leaving a ``with``
    block) only forgets it without touching the parent's engine; the parent
    keeps working. A child that needs the SDK creates its own AgoraService.
    """

    def __init__(self, config: Optional[AgoraServiceConfig] = None):
        self._released = False
        self.transport = None
        self.sip = None          # the SIP user agent on a sip:// transport (agora_rtc.sip.SipEndpoint)
        self._log_handler = None
        self.config: Optional[AgoraServiceConfig] = None
        self._parameter: Optional[AgoraParameter] = None
        #: every connection's interrupt_audio, for in-process relays (interrupt_notices.py)
        self.interrupt_notices = InterruptNotices()
        if config is not None:
            self.initialize(config)

    def initialize(self, config: AgoraServiceConfig) -> int:
        if not isinstance(config, AgoraServiceConfig):
            raise TypeError(f"initialize: config must be an AgoraServiceConfig, got {type(config).__name__}")
        if self._forked:
            self._raise_forked("initialize")
        if self._released:
            raise ReleasedError("initialize: the service was released; create a new AgoraService")
        if self._native_alive:
            raise InvalidStateError("initialize: the service is already initialized")
        config._validated()
        url = resolve_transport_url(config)
        transport = parse_transport_url(url)
        self.transport = transport
        # the engine itself always runs the local hub and, per connection, the RTP media plane
        self._native_initialize(config.appid.encode("utf-8"), b"",
                                int(config.audio_scenario), int(config.prefill_ms),
                                int(bool(config.use_string_uid)), int(config.receive_threads),
                                int(config.dispatch_threads))
        self.config = config
        if transport.scheme in ("janus", "janus+ws"):
            _exit.install_signal_handlers()   # leave Janus on SIGTERM/SIGINT too (see _exit)
        if transport.scheme == "sip":
            from agora_rtc.sip.endpoint import SipEndpoint
            try:
                self.sip = SipEndpoint(transport)
            except BaseException:
                self._native_release()
                raise
        self._parameter = AgoraParameter(SERVICE_KEYS, self._alive,
                                         initial={PREFILL_MS: int(config.prefill_ms),
                                                  STATS_INTERVAL_MS: 2000},
                                         apply=self._apply_parameter)
        if config.log_path:
            self.set_log_file(config.log_path)
        return 0

    def _alive(self, what: str) -> None:
        if not self._native_alive:
            if self._forked:
                self._raise_forked(what)
            if self._released:
                raise ReleasedError(f"{what}: the service was released")
            raise InvalidStateError(f"{what}: call initialize(config) first")

    def _raise_forked(self, what: str) -> None:
        raise ForkedProcessError(f"{what}: this AgoraService was created before os.fork() and its "
                                 "engine threads exist only in the parent; create a new AgoraService "
                                 "in the child process")

    def create_rtc_connection(self, con_config: RTCConnConfig,
                              publish_config: Optional[RtcConnectionPublishConfig] = None) -> RTCConnection:
        self._alive("create_rtc_connection")
        return RTCConnection(self, con_config, publish_config)

    def get_agora_parameter(self) -> AgoraParameter:
        """The service-wide :class:`~agora_rtc.agora_parameter.AgoraParameter`
        (the same object each call): typed get/set and ``set_parameters(json)``
        for the keys agora_rtc honours (prefill, default VAD config, default
        frame dispatch); unknown keys return ERR_NOT_SUPPORTED."""
        self._alive("get_agora_parameter")
        return self._parameter

    def _apply_parameter(self, key, value) -> int:
        if key == PREFILL_MS:
            return self._set_prefill_ms(value)
        if key == STATS_INTERVAL_MS:
            return self._set_stats_interval_ms(value)
        return 0

    def set_log_file(self, file_path: str, file_size: int = 0) -> int:
        """Also write the SDK's log records (logger ``agora_rtc``) to ``file_path``,
        creating its folder if it does not exist yet (as the original does)."""
        if not isinstance(file_path, str) or not file_path:
            raise TypeError("set_log_file: file_path must be a non-empty str")
        folder = os.path.dirname(file_path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        handler = logging.FileHandler(file_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        if self._log_handler is not None:
            _log.removeHandler(self._log_handler)
            self._log_handler.close()
        self._log_handler = handler
        _log.addHandler(handler)
        return 0

    def release(self) -> int:
        """Release every connection still open, stop the engine threads. Idempotent.
        Cannot be called from inside an observer callback (raises InvalidStateError).
        In a child process forked after the service was created, only forgets it."""
        if self._on_delivery_thread():
            raise InvalidStateError("AgoraService.release cannot be called from inside an observer callback")
        for conn in list(self._connections):
            conn.release()
        sip, self.sip = self.sip, None
        if sip is not None:
            sip.close()
        self._native_release()
        self._released = True
        if self._log_handler is not None:
            _log.removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None
        return 0
