# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The one compiled engine module of agora_rtc.

It links the native engine (src/_native) statically and holds:
  _errors.pxi       error-code mapping and the observer exception handler
  _frames.pxi       AudioFrame: an SDK-owned copy of a 10 ms frame, zero-copy to Python
  _threadstate.pxi  one kept Python thread state per engine thread (cheap `with gil`)
  _service.pxi      Service: the native service and its lifetime (atexit)
  _queued.pxi       FrameQueue: batched delivery through a dispatcher thread or asyncio
  _dispatch_pool.pxi the service's dispatcher threads for dispatch="queued"
  _connection.pxi   Connection: the native connection, and the nogil trampolines
  _vad.pxi          labels + the V2 VAD state machine on any 10 ms PCM (standalone)
  _apm.pxi          AudioProcessor: noise suppression + AGC on any 10 ms PCM (standalone)
  _turn.pxi         TurnModel: the prosodic end-of-turn detector on frame labels
  _video.pxi        VideoPort: push raw/encoded video, video observers and subscriptions
  _video_rtp.pxi    test/benchmark hooks over the VP8/H.264 RTP payload formats (internal)
  _sip.pxi          SipAgent: the SIP user agent (libre) the telephony control plane drives
The pure-Python API (agora_rtc.*) subclasses Service and Connection.
"""
cimport cython
cimport native as lib

from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBuffer_Release, PyObject_GetBuffer
from libc.stdint cimport int16_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport calloc, free, malloc
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from libc.string cimport memcpy, memset, strcmp, strncpy

import atexit
import functools
import logging
import os
import sys
import threading
import time

from agora_rtc.base.sample_rates import PLAYBACK_SAMPLE_RATES

include "_errors.pxi"
include "_buffers.pxi"
include "_frames.pxi"
include "_threadstate.pxi"
include "_service.pxi"
include "_queued.pxi"
include "_dispatch_pool.pxi"
include "_connection.pxi"
include "_vad.pxi"
include "_apm.pxi"
include "_turn.pxi"
include "_video.pxi"
include "_video_rtp.pxi"
include "_sip.pxi"
