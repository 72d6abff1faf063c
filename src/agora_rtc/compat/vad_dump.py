"""The original's ``agora.rtc.utils.vad_dump.VadDump``: ``VadDump(path)``,
``open()``, ``write(frame, vad_result_bytes, vad_result_state)``, ``close()``,
one stream per dump, mapped onto :class:`agora_rtc.VadDump` (which keeps one
set of files per user). As in the original, each dump writes into a new
``<path>/<YYYYMMDDHHMMSS>`` folder and ``write`` before ``open`` (or after
``close``) writes nothing. Files: ``source_stream.pcm`` (every frame),
``vad_stream_<n>.pcm`` (one per utterance: the bytes of states 1, 2, 3) and
``labels_stream.txt`` (one line per frame), see :class:`agora_rtc.VadDump`."""
from __future__ import annotations

import os
import time

from agora_rtc.voice_detection import VadDump as _VadDump

#: the user id under which the single stream is dumped (file names above)
STREAM_ID = "stream"


class VadDump(_VadDump):
    def __init__(self, path: str) -> None:
        folder = os.path.join(os.fspath(path), time.strftime("%Y%m%d%H%M%S"))
        super().__init__(folder)
        self.path = folder
        self._is_open = False

    def open(self) -> int:
        """Start dumping; returns 1 if already open, else 0."""
        if self._is_open:
            return 1
        self._is_open = True
        return 0

    def write(self, frame, vad_result_bytes, vad_result_state: int) -> None:
        if self._is_open:
            super().write(STREAM_ID, frame, vad_result_state, vad_result_bytes)

    def close(self) -> None:
        self._is_open = False
        super().close()

    release = close
