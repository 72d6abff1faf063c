"""Which remote publishers died without leaving (the verdicts of JanusLink's watchdog).

Every agent keeps its audio stream alive (audio, or an RTP keepalive each
second), so a forward that brings nothing for ``timeout`` seconds means the
sender is gone, or that the path through Janus is: Janus frozen or restarting
stops every forward at once. So silence alone is no verdict. A silent
publisher becomes a suspect only once Janus has answered a request issued
after the silence began (``janus_answered``), and is declared dead only when
the silence goes on for ``confirm`` more seconds after that answer (a Janus
that comes back forwards what live senders send within a second). Publishers
Janus lists as WebRTC (not ``remote``) are never judged: Janus hangs up a
PeerConnection that dies, and a muted browser may send nothing.

Plain data and decisions, no I/O and no threads: the link feeds it what the
engine and Janus say, with the time, and acts on what it returns.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

Forward = Tuple[int, int]          # (janus publisher id, SSRC of its audio forward to us)


class PeerTimeouts:
    """Suspects and verdicts for the audio forwards of one connection."""

    def __init__(self, timeout: float, confirm: float = 1.5) -> None:
        if timeout <= 0 or confirm <= 0:
            raise ValueError(f"timeout and confirm must be > 0 s, got {timeout!r}, {confirm!r}")
        self.timeout_ms = timeout * 1000.0
        self.confirm = confirm
        self._suspects: Dict[int, Tuple[int, float]] = {}   # pid -> (ssrc, when Janus answered)
        self._webrtc: Set[int] = set()

    def watched(self, forwards: List[Forward]) -> List[Forward]:
        """The forwards to look at (WebRTC publishers left out)."""
        return [(pid, ssrc) for pid, ssrc in forwards if pid not in self._webrtc]

    def review(self, forwards: List[Forward], activity: Dict[int, Tuple[float, bool]],
               now: float) -> Tuple[List[Forward], List[Forward], List[Forward]]:
        """One look. `activity`: ssrc -> (ms since last heard, said BYE).

        Returns (said_bye, dead, ask): the users who said BYE (gone now), the
        ones whose silence is confirmed (dead), and the silent ones to ask Janus
        about (pass its answer to `janus_answered`)."""
        said_bye, dead, ask = [], [], []
        for pid, ssrc in self.watched(forwards):
            if ssrc not in activity:
                continue
            idle_ms, bye = activity[ssrc]
            if bye:
                self._suspects.pop(pid, None)
                said_bye.append((pid, ssrc))
            elif idle_ms < self.timeout_ms:
                self._suspects.pop(pid, None)      # heard again: no longer suspect
            else:
                seen = self._suspects.get(pid)
                if seen is None or seen[0] != ssrc:
                    ask.append((pid, ssrc))
                elif now - seen[1] >= self.confirm and idle_ms >= self.timeout_ms + self.confirm * 1000:
                    self._suspects.pop(pid, None)
                    dead.append((pid, ssrc))
        return said_bye, dead, ask

    def janus_answered(self, asked: List[Forward], participants: Optional[Dict[int, dict]],
                       now: float) -> None:
        """Janus's listparticipants after `review` asked (None: no answer, no verdict)."""
        if participants is None:
            return
        for pid, ssrc in asked:
            entry = participants.get(pid)
            if entry is not None and not entry.get("remote"):
                self._webrtc.add(pid)
                continue
            self._suspects[pid] = (ssrc, now)

    def forget(self, pid: int) -> None:
        """The publisher left: a new one with its id starts with a clean slate."""
        self._suspects.pop(pid, None)
        self._webrtc.discard(pid)
