"""Opt-in porting layer: run code written for the original SDK (``agora.rtc``) unchanged.

Nothing here is active until you ask for it; installing agora_rtc never creates
a top-level ``agora`` package (it would shadow the original SDK). Two ways in:

* ``python -m agora_rtc.compat script.py [args...]`` runs ``script.py`` as
  ``__main__`` with the import hook installed (``-m module`` works too).
* ``import agora_rtc.compat; agora_rtc.compat.install()`` installs the hook in
  the current process (``uninstall()`` removes it and the modules it made).

While installed, ``import agora.rtc.<module>`` (``agora_service``,
``rtc_connection``, ``agora_base``, ``voice_detection``, ``utils.audio_consumer``,
``audio_frame_observer``, ``local_user_observer``, ``rtc_connection_observer``,
``local_user``, ... see :data:`ORIGINAL_MODULES`) yields a module whose names
are agora_rtc's: the same classes, so observers subclassing the original's
class names are agora_rtc observers. Each such module also carries the
standard-library names the original's modules leaked through ``import *``
(``os``, ``sys``, ``time``, ``ctypes``, ``threading``,
``asyncio``, ``logging``, ``logger``), because sample code relies on them, and
the original-only names (media node factory and senders, external audio
processor, VadDump's original API, ``EncryptionConfigInner``; see
:data:`ORIGINAL_ONLY_NAMES`), each mapped onto agora_rtc. ``agora.rtm`` and its
modules (:data:`RTM_MODULES`) serve agora_rtc.rtm's names (the original's RTM
client, on agora_rtc's in-process network).

The hook takes precedence over an installed original SDK while it is
installed: that is the point of running a script "against agora_rtc".
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
import threading
import types

#: Original SDK modules served while the hook is installed. Every one exposes
#: the whole public agora_rtc namespace plus the original-only names of
#: :data:`ORIGINAL_ONLY_NAMES` (a superset of the original module's names, as
#: ``from agora.rtc.rtc_connection import *`` in the original also pulled in
#: agora_base, observers and senders).
ORIGINAL_MODULES = (
    "agora", "agora.rtc", "agora.rtc.utils",
    "agora.rtc.agora_base", "agora.rtc.agora_service", "agora.rtc.agora_parameter",
    "agora.rtc.rtc_connection", "agora.rtc.rtc_connection_observer",
    "agora.rtc.local_user", "agora.rtc.local_user_observer",
    "agora.rtc.audio_frame_observer", "agora.rtc.audio_pcm_data_sender",
    "agora.rtc.audio_encoded_frame_sender", "agora.rtc.media_node_factory",
    "agora.rtc.local_audio_track", "agora.rtc.remote_audio_track",
    "agora.rtc.local_video_track", "agora.rtc.remote_video_track",
    "agora.rtc.video_frame_sender", "agora.rtc.video_encoded_image_sender",
    "agora.rtc.video_frame_observer", "agora.rtc.video_encoded_frame_observer",
    "agora.rtc.external_audio_processor",
    "agora.rtc.voice_detection", "agora.rtc.audio_vad_manager",
    "agora.rtc.utils.audio_consumer", "agora.rtc.utils.vad_dump",
)
#: The original's RTM modules: each serves agora_rtc.rtm's public names.
RTM_MODULES = ("agora.rtm", "agora.rtm.rtm_client", "agora.rtm.rtm_base",
               "agora.rtm.rtm_event_handler")
_PACKAGES = ("agora", "agora.rtc", "agora.rtc.utils", "agora.rtm")

#: Original modules deliberately not served, with the reason given in the ImportError.
UNSUPPORTED_MODULES: dict = {}


def _original_only_names() -> dict:
    """Names the original has and agora_rtc's own API does not (or has in another
    shape): the media node factory and its senders, the service that makes
    them, AudioConsumer on a sender, the external audio processor, VadDump's
    original API, the C-layout encryption structure. Each maps onto agora_rtc (see its module)."""
    from agora_rtc.compat import external_audio_processor as eap
    from agora_rtc.compat.audio_consumer import AudioConsumer
    from agora_rtc.compat import senders
    from agora_rtc.compat.encryption_struct import EncryptionConfigInner
    from agora_rtc.compat.service import AgoraService
    from agora_rtc.compat.vad_dump import VadDump

    names = {name: getattr(senders, name) for name in (
        "MediaNodeFactory", "AudioPcmDataSender", "AudioEncodedFrameSender", "VideoFrameSender",
        "VideoEncodedImageSender")}
    names.update(AgoraService=AgoraService, VadDump=VadDump, AudioConsumer=AudioConsumer, EncryptionConfigInner=EncryptionConfigInner,
                 ExternalAudioProcessor=eap.ExternalAudioProcessor, IAudioSinkObserver=eap.IAudioSinkObserver)
    return names


#: filled on first use (importing the mapped classes loads the engine)
ORIGINAL_ONLY_NAMES: dict = {}

_lock = threading.Lock()
_finder = None


def _namespace(fullname: str) -> dict:
    import asyncio
    import ctypes
    import os
    import time

    import agora_rtc

    if fullname in RTM_MODULES:
        from agora_rtc import rtm
        ns = {name: getattr(rtm, name) for name in rtm.__all__}
    else:
        ns = {name: getattr(agora_rtc, name) for name in agora_rtc.__all__}
        if not ORIGINAL_ONLY_NAMES:
            ORIGINAL_ONLY_NAMES.update(_original_only_names())
        ns.update(ORIGINAL_ONLY_NAMES)
    # names the original's modules leaked through `import *` and samples use
    ns.update(os=os, sys=sys, time=time, ctypes=ctypes, logging=logging,
              threading=threading, asyncio=asyncio, logger=logging.getLogger(fullname))
    return ns


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return None  # default module object

    def exec_module(self, module):
        module.__dict__.update(_namespace(module.__name__))
        module.__doc__ = (f"agora_rtc.compat alias of the original SDK's {module.__name__}: "
                          "agora_rtc's public names (see agora_rtc.compat).")


class _Finder(importlib.abc.MetaPathFinder):
    """Serves ``agora`` and ``agora.rtc.*`` from agora_rtc (see module docstring)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "agora" and not fullname.startswith("agora."):
            return None
        if fullname in ORIGINAL_MODULES or fullname in RTM_MODULES:
            spec = importlib.machinery.ModuleSpec(fullname, _Loader(), origin="agora_rtc.compat",
                                                  is_package=fullname in _PACKAGES)
            if fullname in _PACKAGES:
                spec.submodule_search_locations = []
            return spec
        for prefix, why in UNSUPPORTED_MODULES.items():
            if fullname == prefix or fullname.startswith(prefix + "."):
                raise ImportError(f"agora_rtc.compat: {fullname} (original SDK module) is not "
                                  f"supported: {why}", name=fullname)
        raise ImportError(f"agora_rtc.compat: {fullname} is not a module of the original SDK that "
                          f"agora_rtc maps; mapped: {', '.join(ORIGINAL_MODULES + RTM_MODULES)}",
                          name=fullname)


def install() -> None:
    """Install the ``agora.rtc`` import hook in this process (idempotent).

    Raises
    ------
    RuntimeError
        If a module named ``agora`` that this hook did not make is already
        imported (the original SDK is loaded; the two cannot share a process).
    """
    global _finder
    with _lock:
        if _finder is not None:
            return
        existing = sys.modules.get("agora")
        if existing is not None and getattr(existing.__spec__, "origin", None) != "agora_rtc.compat":
            raise RuntimeError("agora_rtc.compat.install: a module named 'agora' (the original SDK?) "
                               "is already imported; install the hook before importing it")
        _finder = _Finder()
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the hook and forget the ``agora`` modules it created (idempotent)."""
    global _finder
    with _lock:
        if _finder is None:
            return
        sys.meta_path.remove(_finder)
        _finder = None
        for name in [n for n in sys.modules if n == "agora" or n.startswith("agora.")]:
            mod = sys.modules[name]
            if isinstance(mod, types.ModuleType) and getattr(mod.__spec__, "origin", None) == "agora_rtc.compat":
                del sys.modules[name]


def installed() -> bool:
    """True while the hook is installed."""
    return _finder is not None
