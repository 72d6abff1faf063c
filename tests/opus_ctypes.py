"""A tiny libopus encoder for tests (ctypes over the system libopus that the
engine links, Debian libopus0): makes real Opus packets to push with
push_audio_encoded_data."""
import ctypes
import ctypes.util

import numpy as np

_lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
_lib.opus_encoder_create.restype = ctypes.c_void_p
_lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int,
                                     ctypes.POINTER(ctypes.c_int)]
_lib.opus_encode.restype = ctypes.c_int32
_lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_int,
                             ctypes.c_char_p, ctypes.c_int32]
_lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
OPUS_APPLICATION_VOIP = 2048


def encode(pcm, rate=16000, channels=1, frame_ms=20):
    """int16 PCM -> list of Opus packets of frame_ms each (the tail is zero padded)."""
    err = ctypes.c_int(0)
    enc = _lib.opus_encoder_create(rate, channels, OPUS_APPLICATION_VOIP, ctypes.byref(err))
    assert enc and err.value == 0, err.value
    try:
        spf = int(rate * frame_ms / 1000)
        pcm = np.asarray(pcm, dtype=np.int16).reshape(-1)
        step = spf * channels
        pcm = np.concatenate([pcm, np.zeros((-pcm.size) % step, np.int16)])
        out = ctypes.create_string_buffer(4000)
        packets = []
        for off in range(0, pcm.size, step):
            chunk = np.ascontiguousarray(pcm[off:off + step])
            n = _lib.opus_encode(enc, chunk.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), spf, out, 4000)
            assert n > 0, n
            packets.append(out.raw[:n])
        return packets
    finally:
        _lib.opus_encoder_destroy(enc)
