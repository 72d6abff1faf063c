"""AdditionalOutputs: what a handler hands back besides audio (fastrtc's class)."""
from __future__ import annotations

from typing import Any

__all__ = ["AdditionalOutputs"]


class AdditionalOutputs:
    """Values a handler hands back besides audio (fastrtc's class).

    Yielded by a :class:`ReplyOnPause` reply function, its ``args`` become the
    extra arguments of the next call (``fn(audio, *args)``): the chat-history
    pattern. Returned by a StreamHandler's ``emit``, they go to the
    ``on_additional_outputs`` callback given to ``start``."""

    __slots__ = ("args",)

    def __init__(self, *args: Any):
        self.args = args

    def __repr__(self):
        return f"AdditionalOutputs{self.args!r}"
