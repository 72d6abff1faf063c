"""Cost of the native pixel-format conversion of push_video_frame (to I420)
against a numpy implementation of the same conversion, in the same run.

For 720p and 1080p frames of RGBA, BGRA and NV12: milliseconds per frame of
the engine's converter (agora_video_to_i420, called through
agora_rtc._core._engine.convert_to_i420, GIL released, Python call included)
and of a vectorised numpy implementation of exactly the same arithmetic
(BT.601 limited range fixed point, chroma from 2x2 block means; NV12 is a
plane copy plus a de-interleave). Both write into a preallocated I420 buffer;
the outputs are compared (max abs difference reported, expected 0).
Median of N runs after one warm-up; the machine is shared, so timings are
noisy: the ratio within one run is the number to read.

Run: python benchmarks/bench_video.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _report import percentile, print_table, save  # noqa: E402

from agora_rtc import VideoPixelFormat as F  # noqa: E402
from agora_rtc._core import _engine  # noqa: E402

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
FORMATS = {"RGBA": F.VIDEO_PIXEL_RGBA, "BGRA": F.VIDEO_PIXEL_BGRA, "NV12": F.VIDEO_PIXEL_NV12}


def numpy_to_i420(fmt, src, w, h, out):
    """The engine's conversion, vectorised in numpy (same integer arithmetic)."""
    ysz, csz = w * h, (w // 2) * (h // 2)
    if fmt == F.VIDEO_PIXEL_NV12:
        out[:ysz] = src[:ysz]
        uv = src[ysz:].reshape(h // 2, w // 2, 2)
        out[ysz:ysz + csz].reshape(h // 2, w // 2)[:] = uv[..., 0]
        out[ysz + csz:].reshape(h // 2, w // 2)[:] = uv[..., 1]
        return
    img = src.reshape(h, w, 4)
    ri, bi = (0, 2) if fmt == F.VIDEO_PIXEL_RGBA else (2, 0)
    r = img[..., ri].astype(np.int32)
    g = img[..., 1].astype(np.int32)
    b = img[..., bi].astype(np.int32)
    out[:ysz] = (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16).ravel()

    def mean(c):
        return (c.reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3)) + 2) >> 2

    ar, ag, ab = mean(r), mean(g), mean(b)
    out[ysz:ysz + csz] = (((-38 * ar - 74 * ag + 112 * ab + 128) >> 8) + 128).ravel()
    out[ysz + csz:] = (((112 * ar - 94 * ag - 18 * ab + 128) >> 8) + 128).ravel()


def frame(fmt, w, h, rng):
    n = w * h * 4 if fmt in (F.VIDEO_PIXEL_RGBA, F.VIDEO_PIXEL_BGRA) else w * h * 3 // 2
    return rng.integers(0, 256, n, dtype=np.uint8)


def time_ms(fn, runs):
    fn()  # warm-up
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs (about 10 s)")
    args = ap.parse_args()
    runs = 7 if args.quick else 40
    rng = np.random.default_rng(1)
    rows, results = [], []
    for size, (w, h) in SIZES.items():
        for name, fmt in FORMATS.items():
            src = frame(fmt, w, h, rng)
            out_c = np.empty(w * h * 3 // 2, np.uint8)
            out_np = np.empty_like(out_c)
            c_ms = time_ms(lambda: _engine.convert_to_i420(int(fmt), src, w, h, out_c), runs)
            np_ms = time_ms(lambda: numpy_to_i420(fmt, src, w, h, out_np), runs)
            diff = int(np.abs(out_c.astype(np.int16) - out_np.astype(np.int16)).max())
            c_med, np_med = percentile(c_ms, 50), percentile(np_ms, 50)
            rows.append([size, name, c_med, percentile(c_ms, 90), np_med, np_med / c_med, diff])
            results.append({"size": size, "width": w, "height": h, "format": name, "runs": runs,
                            "native_ms_median": c_med, "native_ms_p90": percentile(c_ms, 90),
                            "numpy_ms_median": np_med, "numpy_ms_p90": percentile(np_ms, 90),
                            "speedup_vs_numpy": np_med / c_med, "max_abs_diff": diff})
    print_table("push_video_frame conversion to I420, ms per frame (median of "
                f"{runs}; shared 2-core machine, noisy)",
                ["size", "from", "native ms", "native p90", "numpy ms", "numpy/native", "max diff"],
                rows)
    save("video_convert", {"benchmark": "bench_video", "quick": args.quick,
                           "baseline": "numpy implementation of the same fixed-point BT.601 "
                                       "conversion, same run, same buffers",
                           "results": results})


if __name__ == "__main__":
    main()
