"""G.711 mu-law <-> 16-bit PCM with numpy lookup tables.

Encoding follows G.711 on a 14-bit scale: the 16-bit sample is shifted right by
two (rounding toward minus infinity), its magnitude clipped at 8159, biased by 33
(8192, past the last segment, takes the largest code) and cut into a 3-bit segment and a 4-bit step; the code is sent inverted.
Decoding is the inverse (the table of the engine's audio/codec/g711.c). Both
tables match the CPython ``audioop`` module (lin2ulaw / ulaw2lin) for every
input, which the tests check exhaustively.

Why tables in numpy rather than the engine's C (audio/codec/g711.c, which has
no encoder): a 20 ms telephone chunk is 160 samples, and one lookup over it
costs 1-3 us (benchmarks/bench_telephony.py; a few times audioop's C, mostly
numpy's call overhead), a fraction of the JSON and base64 work each message
needs anyway and 0.01 % of the 20 ms the chunk lasts; a new C entry point and
public API would save nothing measurable.
"""
from __future__ import annotations

import numpy as np

__all__ = ["ulaw_to_pcm16", "pcm16_to_ulaw"]


def _encode_table() -> np.ndarray:
    pcm = np.arange(-32768, 32768, dtype=np.int32)
    x14 = pcm >> 2                                   # floor, as an arithmetic shift
    negative = x14 < 0
    magnitude = np.minimum(np.where(negative, -x14, x14), 8159) + 33   # 33..8192
    segment = np.zeros_like(magnitude)
    for bound in (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF):   # the segments' upper ends
        segment += magnitude > bound
    # past the last segment (the clipped 8192): the largest code, 0x7F before inversion
    code = np.where(segment > 7, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F))
    code = np.where(negative, code ^ 0x7F, code ^ 0xFF)
    # index by the sample's bits read as uint16: 0..32767 then -32768..-1
    return np.roll(code.astype(np.uint8), -32768)


def _decode_table() -> np.ndarray:
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    segment, step = (code >> 4) & 7, code & 0x0F
    magnitude = (((step << 1) + 33) << segment) - 33   # 14-bit scale
    return np.where(code & 0x80, -(magnitude << 2), magnitude << 2).astype(np.int16)


_ENCODE = _encode_table()
_DECODE = _decode_table()


def ulaw_to_pcm16(data) -> np.ndarray:
    """mu-law bytes (any bytes-like) -> int16 samples, one per byte."""
    return _DECODE.take(np.frombuffer(data, dtype=np.uint8))


def pcm16_to_ulaw(pcm) -> bytes:
    """int16 samples (an int16 array, or bytes-like of native int16) -> mu-law bytes."""
    if isinstance(pcm, np.ndarray):
        if pcm.dtype != np.int16:
            raise TypeError(f"pcm16_to_ulaw: expected int16 samples, got dtype {pcm.dtype}")
        samples = pcm.reshape(-1)
    else:
        raw = memoryview(pcm).cast("B")
        if len(raw) % 2:
            raise ValueError(f"pcm16_to_ulaw: expected whole int16 samples, got {len(raw)} bytes")
        samples = np.frombuffer(raw, dtype=np.int16)
    return _ENCODE.take(samples.view(np.uint16)).tobytes()
