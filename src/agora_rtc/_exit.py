"""Leaving cleanly when the process is stopped: shutdown() and the signal handlers.

A process manager stops an agent with SIGTERM, whose default action ends the
process at once: no atexit hook runs, and on Janus the agent's publisher and
forwards would stay in the room (a ghost the other users keep seeing). So when
an AgoraService on a server transport (Janus) is initialized in the main
thread, the SDK installs a handler for SIGTERM and one for SIGINT, each only
while that signal still has its default disposition (SIG_DFL for SIGTERM,
Python's ``default_int_handler`` for SIGINT): an application's own handler,
and a signal someone chose to ignore, are left alone. The handler runs
`shutdown`, then what would have happened without it: SIGTERM's default action
(the process ends, killed by SIGTERM, as a process manager expects), SIGINT's
KeyboardInterrupt. atexit (a normal exit, sys.exit, an unhandled exception)
releases every service as before.

An application with its own SIGTERM/SIGINT handler keeps the clean exit by
calling ``agora_rtc.shutdown()`` from it.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Dict, Optional

from agora_rtc._core import _engine
from agora_rtc.errors import InvalidStateError

__all__ = ["shutdown"]

_log = logging.getLogger("agora_rtc")

#: Seconds a signal handler waits for shutdown() before the default action.
SIGNAL_SHUTDOWN_TIMEOUT = 5.0

_lock = threading.Lock()
_runner: Optional[threading.Thread] = None
_installed: Dict[int, object] = {}      # signal -> the disposition we replaced


def _release_every_service() -> None:
    for svc in _engine._live_service_list():
        try:
            svc.release()
        except Exception:
            _log.exception("shutdown: releasing %r failed", svc)


def shutdown(timeout: Optional[float] = 5.0) -> bool:
    """Leave every channel and release every AgoraService of this process now.

    On Janus this removes our publishers and RTP forwards from the rooms (the
    other users get on_user_left at once, and Janus lists no ghost); every
    connection is released, as by ``AgoraService.release()``. It runs on a
    thread of its own, so it is safe from a signal handler even when the
    interrupted code was inside the SDK; this call waits for it up to
    `timeout` seconds (None: without limit). Idempotent; services created
    afterwards are released by the next call. This is what the SDK's own
    SIGTERM/SIGINT handlers (and atexit) do: call it from your own handler
    to keep the clean exit.

    Returns True when everything was released within `timeout`.

    Raises InvalidStateError when called from inside an observer callback
    (the release would wait for that very callback).
    """
    global _runner
    for svc in _engine._live_service_list():
        if svc._on_delivery_thread():
            raise InvalidStateError("agora_rtc.shutdown cannot be called from inside an observer callback")
    with _lock:
        if _runner is None or not _runner.is_alive():
            _runner = threading.Thread(target=_release_every_service, name="agora_rtc-shutdown",
                                       daemon=True)
            _runner.start()
        runner = _runner
    runner.join(timeout)
    return not runner.is_alive()


def _on_signal(signum, frame) -> None:
    try:
        if not shutdown(SIGNAL_SHUTDOWN_TIMEOUT):
            _log.warning("signal %d: the SDK did not finish leaving within %.0f s",
                         signum, SIGNAL_SHUTDOWN_TIMEOUT)
    except Exception:
        _log.exception("signal %d: shutdown failed", signum)
    if signum == signal.SIGINT:
        signal.default_int_handler(signum, frame)   # KeyboardInterrupt, as without us
        return
    # the default action: restore it and deliver the signal again
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


_DEFAULTS = {signal.SIGTERM: signal.SIG_DFL, signal.SIGINT: signal.default_int_handler}


def install_signal_handlers() -> None:
    """Install the SDK's SIGTERM/SIGINT handlers where the signal still has its
    default disposition (main thread only; elsewhere nothing happens)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum, default in _DEFAULTS.items():
        if signum in _installed:
            continue
        try:
            current = signal.getsignal(signum)
            if current is not default:
                continue        # the application's own handler, or ignored: leave it
            signal.signal(signum, _on_signal)
        except (ValueError, OSError):   # not the main interpreter, or not allowed
            continue
        _installed[signum] = current
