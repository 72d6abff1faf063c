"""Cut streamed LLM text into pieces a TTS engine can speak without ambiguity.

The Agora README's recommendation: keep the LLM's deltas in a buffer, scan it
backwards for the last punctuation mark, hand everything up to and including
that mark to TTS, keep the rest for the next delta. Chinese (full-width)
marks are always boundaries. ASCII marks are boundaries only when followed by
whitespace, so "3.14", "e.g." inside a word, "1,000" and "http://x.y" are
not cut; a mark at the very end of the buffer waits for the next delta (or
:meth:`TextSegmenter.flush`) to know what follows it.
"""
from __future__ import annotations

from typing import AsyncIterable, AsyncIterator, Iterable, Iterator, List, Optional

__all__ = ["TextSegmenter", "segment_text_stream", "segment_text_stream_async",
           "CJK_PUNCTUATION", "ASCII_PUNCTUATION"]

# full-width / CJK marks: the end of a clause whatever follows
CJK_PUNCTUATION = frozenset("，。！？；：、…～）」』】》．｡､")
# ASCII marks: the end of a clause only when whitespace follows
ASCII_PUNCTUATION = frozenset(".,!?;:")
_ASCII_CLOSERS = frozenset("\"')]")


class TextSegmenter:
    """Buffer streamed text and return complete segments.

    Parameters
    ----------
    min_chars : int, default 0
        A segment shorter than this (after stripping) is held back and joined
        with the next one, so TTS is not asked to speak "OK," alone. ``flush``
        returns whatever is left regardless.

    Examples
    --------
    >>> seg = TextSegmenter()
    >>> seg.feed("Hello wor")
    []
    >>> seg.feed("ld. How are")
    ['Hello world.']
    >>> seg.flush()
    'How are'
    """

    def __init__(self, min_chars: int = 0):
        if isinstance(min_chars, bool) or not isinstance(min_chars, int):
            raise TypeError(f"TextSegmenter: min_chars must be an int, got {type(min_chars).__name__}")
        if min_chars < 0:
            raise ValueError(f"TextSegmenter: min_chars must be >= 0, got {min_chars}")
        self.min_chars = min_chars
        self._buf = ""
        self._no_cut_before = 0   # the buffer's first chars hold no boundary (scan once, not per delta)

    @property
    def pending(self) -> str:
        """Text received and not yet returned."""
        return self._buf

    def _last_cut(self) -> int:
        """Index just past the last boundary in the buffer, or 0 when there is none."""
        buf = self._buf
        # text already scanned without a boundary needs no second look, except an
        # ASCII mark (and closing quotes) at its end, which waited for what follows
        lo = self._no_cut_before
        while lo > 0 and buf[lo - 1] in _ASCII_CLOSERS:
            lo -= 1
        lo = max(0, lo - 1)
        for i in range(len(buf) - 1, lo - 1, -1):
            c = buf[i]
            if c in CJK_PUNCTUATION:
                j = i + 1
                while j < len(buf) and buf[j] in _ASCII_CLOSERS:
                    j += 1
                return j
            if c in ASCII_PUNCTUATION:
                j = i + 1
                while j < len(buf) and buf[j] in _ASCII_CLOSERS:  # 'He said "hi." Then'
                    j += 1
                if j < len(buf) and buf[j].isspace():
                    return j
            elif c == "\n":
                return i + 1
        return 0

    def feed(self, delta: str) -> List[str]:
        """Add an LLM delta; return the segments now complete (often none, at
        most one: everything up to the last boundary is one segment)."""
        if not isinstance(delta, str):
            raise TypeError(f"TextSegmenter.feed: delta must be a str, got {type(delta).__name__}")
        self._buf += delta
        cut = self._last_cut()
        if cut == 0:
            self._no_cut_before = len(self._buf)
            return []
        head = self._buf[:cut]
        if len(head.strip()) < self.min_chars:
            return []
        self._buf = self._buf[cut:].lstrip()
        self._no_cut_before = 0
        head = head.strip()
        return [head] if head else []

    def flush(self) -> Optional[str]:
        """End of the LLM stream: return the remaining text (None if only
        whitespace is left) and empty the buffer."""
        rest, self._buf = self._buf.strip(), ""
        self._no_cut_before = 0
        return rest or None

    def reset(self) -> None:
        """Forget the buffer (an interrupted reply)."""
        self._buf = ""
        self._no_cut_before = 0


def segment_text_stream(deltas: Iterable[str], min_chars: int = 0) -> Iterator[str]:
    """Segments of a whole stream of deltas, the remainder last."""
    seg = TextSegmenter(min_chars)
    for delta in deltas:
        yield from seg.feed(delta)
    rest = seg.flush()
    if rest is not None:
        yield rest


async def segment_text_stream_async(deltas: AsyncIterable[str], min_chars: int = 0) -> AsyncIterator[str]:
    """``async for`` version of :func:`segment_text_stream`."""
    seg = TextSegmenter(min_chars)
    async for delta in deltas:
        for s in seg.feed(delta):
            yield s
    rest = seg.flush()
    if rest is not None:
        yield rest
