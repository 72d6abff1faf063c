"""Opus encoder complexity: CPU per published stream against quality, for the
``agora_rtc.opus_complexity`` parameter (libopus's default 10, our default too, against 9,
WebRTC's desktop choice, 5, WebRTC's mobile one, and the cheapest, 0), in the same run.

The encoder is libopus itself (the Debian library the engine links, called through
ctypes) with the settings of the engine's RTP sender (src/_native/net/rtp/rtp_transport.c:
48 kHz mono, OPUS_APPLICATION_VOIP, 32 kbit/s VBR, in-band FEC for 10 % loss, no DTX,
20 ms packets), so the numbers are the encoder's work per Janus stream, without our
pacing around it.

Cost: CPU microseconds to encode one 20 ms packet (best of ``--repeats`` passes over all
the audio, the complexities interleaved so load from other processes hits them alike),
the same as CPU % of one core per stream (20 ms of audio per packet), and the ratio to
complexity 10.

Quality: each clip is encoded and decoded (libopus, 48 kHz), brought back to 16 kHz and
compared with the original, aligned by the encoder's lookahead: SNR (dB) and wide-band
PESQ (ITU-T P.862.2, package ``pesq``; skipped if it is not installed). Sources: the
three espeak-ng speech clips of examples/assets (two voices, 16 kHz) and the 440 Hz
tone that benchmarks/bench_fleet.py's humans talk with. Nothing here is fitted; the
numbers hold for these clips.

    python benchmarks/bench_opus_complexity.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import sys
import time
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402

ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "assets")
CLIPS = ["caller_question.wav", "agent_answer.wav", "caller_barge_in.wav"]
COMPLEXITIES = [10, 9, 5, 0]
RATE, FRAME = 48000, 960                      # the engine's Opus rate and 20 ms packet

# opus_defines.h
OPUS_APPLICATION_VOIP = 2048
OPUS_SET_BITRATE, OPUS_SET_VBR, OPUS_SET_COMPLEXITY = 4002, 4006, 4010
OPUS_SET_INBAND_FEC, OPUS_SET_PACKET_LOSS_PERC, OPUS_SET_DTX = 4012, 4014, 4016
OPUS_GET_LOOKAHEAD = 4027


class Opus:
    """The few libopus calls used here."""

    def __init__(self):
        path = ctypes.util.find_library("opus")
        if not path:
            raise RuntimeError("libopus not found (Debian package libopus0)")
        self.lib = ctypes.CDLL(path)
        self.lib.opus_encoder_create.restype = ctypes.c_void_p
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                         ctypes.c_void_p, ctypes.c_int32]
        self.lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32,
                                         ctypes.c_void_p, ctypes.c_int, ctypes.c_int]

    def encoder(self, complexity: int):
        err = ctypes.c_int()
        enc = ctypes.c_void_p(self.lib.opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP,
                                                           ctypes.byref(err)))
        if err.value != 0:
            raise RuntimeError(f"opus_encoder_create: {err.value}")
        for req, val in ((OPUS_SET_BITRATE, 32000), (OPUS_SET_VBR, 1), (OPUS_SET_INBAND_FEC, 1),
                         (OPUS_SET_PACKET_LOSS_PERC, 10), (OPUS_SET_DTX, 0),
                         (OPUS_SET_COMPLEXITY, complexity)):
            if self.lib.opus_encoder_ctl(enc, req, ctypes.c_int(val)) != 0:
                raise RuntimeError(f"opus_encoder_ctl({req}, {val}) failed")
        return enc

    def lookahead(self, enc) -> int:
        la = ctypes.c_int32()
        self.lib.opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD, ctypes.byref(la))
        return la.value

    def encode_all(self, enc, pcm48: np.ndarray) -> list:
        out = ctypes.create_string_buffer(1500)
        packets = []
        for i in range(0, len(pcm48) - FRAME + 1, FRAME):
            frame = pcm48[i:i + FRAME]
            n = self.lib.opus_encode(enc, frame.ctypes.data, FRAME, out, 1500)
            if n <= 0:
                raise RuntimeError(f"opus_encode: {n}")
            packets.append(out.raw[:n])
        return packets

    def decode_all(self, packets: list) -> np.ndarray:
        err = ctypes.c_int()
        dec = ctypes.c_void_p(self.lib.opus_decoder_create(RATE, 1, ctypes.byref(err)))
        pcm = np.zeros(FRAME, np.int16)
        out = []
        for p in packets:
            n = self.lib.opus_decode(dec, p, len(p), pcm.ctypes.data, FRAME, 0)
            out.append(pcm[:n].copy())
        self.lib.opus_decoder_destroy(dec)
        return np.concatenate(out)


def resample(x: np.ndarray, factor: float) -> np.ndarray:
    """Band-limited resampling by a rational factor (FFT zero-padding / truncation)."""
    n_out = int(round(len(x) * factor))
    spec = np.fft.rfft(x.astype(np.float64))
    want = n_out // 2 + 1
    spec = np.concatenate([spec, np.zeros(max(0, want - len(spec)))])[:want]
    return np.fft.irfft(spec, n_out) * factor


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def read_clip(name: str) -> np.ndarray:
    with wave.open(os.path.join(ASSETS, name)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), np.int16)


def tone() -> np.ndarray:
    t = np.arange(3 * 16000) / 16000
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def snr_db(ref: np.ndarray, deg: np.ndarray) -> float:
    ref, deg = ref.astype(np.float64), deg.astype(np.float64)
    return 10 * np.log10(np.sum(ref ** 2) / max(np.sum((ref - deg) ** 2), 1e-9))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    opus = Opus()
    try:
        from pesq import pesq
    except ImportError:
        pesq = None
    clips = {name: read_clip(name) for name in CLIPS}
    clips["tone 440 Hz"] = tone()
    pcm48 = {n: to_int16(resample(x, 3)) for n, x in clips.items()}

    # cost: best pass per complexity, complexities interleaved within every repeat
    frames = sum(len(x) // FRAME for x in pcm48.values())
    best = {c: float("inf") for c in COMPLEXITIES}
    for _ in range(a.repeats):
        for c in COMPLEXITIES:
            encs = {n: opus.encoder(c) for n in pcm48}
            t0 = time.process_time()       # CPU time: preemption by other processes not counted
            for n, x in pcm48.items():
                opus.encode_all(encs[n], x)
            best[c] = min(best[c], time.process_time() - t0)
            for e in encs.values():
                opus.lib.opus_encoder_destroy(e)
    us = {c: 1e6 * best[c] / frames for c in COMPLEXITIES}

    # quality
    quality = {}
    for c in COMPLEXITIES:
        for n, x48 in pcm48.items():
            enc = opus.encoder(c)
            la = opus.lookahead(enc)
            dec = opus.decode_all(opus.encode_all(enc, x48))
            opus.lib.opus_encoder_destroy(enc)
            dec16 = to_int16(resample(dec[la:].astype(np.float64), 1 / 3))
            ref = clips[n][:len(dec16)]
            dec16 = dec16[:len(ref)]
            q = {"snr_db": snr_db(ref, dec16)}
            if pesq is not None and not n.startswith("tone"):
                q["pesq_wb"] = float(pesq(16000, ref, dec16, "wb"))
            quality.setdefault(c, {})[n] = q

    rows = []
    for c in COMPLEXITIES:
        speech = [quality[c][n] for n in CLIPS]
        rows.append([c, us[c], us[c] / 20000 * 100, us[c] / us[10],
                     float(np.mean([q["snr_db"] for q in speech])),
                     float(np.mean([q["pesq_wb"] for q in speech])) if pesq else "n/a",
                     quality[c]["tone 440 Hz"]["snr_db"]])
    _report.print_table(
        f"Opus encoder complexity (libopus, 48 kHz mono, 32 kbit/s VOIP, FEC): cost per 20 ms "
        f"packet (best of {a.repeats}) and quality on examples/assets speech (3 clips) and a tone",
        ["complexity", "us / packet", "CPU % per stream", "cost vs 10", "speech SNR dB",
         "speech PESQ-WB", "tone SNR dB"], rows)
    _report.save("opus_complexity", {"us_per_packet": us, "ratio_vs_10": {c: us[c] / us[10] for c in us},
                                     "quality": quality, "frames": frames, "repeats": a.repeats,
                                     "sources": CLIPS + ["tone 440 Hz (3 s)"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
