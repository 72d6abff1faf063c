"""In-process notices of ``interrupt_audio``, per service and channel.

The in-process network carries audio frames, not the fact that a speaker cut
its audio: a listener simply hears nothing more. A listener that relays what
it hears to a place with a playout buffer of its own (a telephone media
stream: Twilio plays what it was sent) must also drop what that buffer holds
when the speaker interrupts. Every RTCConnection of a service reports its
``interrupt_audio`` calls here; such a relay watches the channel it is in.

Watchers run on the thread that called ``interrupt_audio`` (often the engine's
delivery thread, inside an observer): they must only hand the notice over
(``loop.call_soon_threadsafe``) and return.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable, Dict, List

_log = logging.getLogger("agora_rtc")

#: watcher(user_id, report): ``user_id`` interrupted its audio; ``report`` its InterruptReport
Watcher = Callable[[str, object], None]


class InterruptNotices:
    """Who watches which channel's interrupts (one per AgoraService)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._watchers: Dict[str, List[Watcher]] = {}

    def watch(self, channel_id: str, watcher: Watcher) -> Callable[[], None]:
        """Call ``watcher`` at each interrupt_audio of a connection in ``channel_id``;
        returns the function that stops it."""
        with self._lock:
            self._watchers.setdefault(channel_id, []).append(watcher)

        def unwatch() -> None:
            with self._lock:
                left = [w for w in self._watchers.get(channel_id, ()) if w is not watcher]
                if left:
                    self._watchers[channel_id] = left
                else:
                    self._watchers.pop(channel_id, None)
        return unwatch

    def interrupted(self, channel_id: str, user_id: str, report) -> None:
        with self._lock:
            watchers = list(self._watchers.get(channel_id, ()))
        for watcher in watchers:
            try:
                watcher(user_id, report)
            except Exception:   # a watcher's bug must not fail the agent's interrupt
                _log.exception("interrupt watcher %r failed", watcher)
