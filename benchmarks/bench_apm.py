"""Server-side APM (libspeexdsp noise suppression + AGC, src/_native/audio/dsp/audio_processing.c):
its cost per 10 ms frame and its effect on the VAD, against no APM in the same run.

Cost: microseconds per 10 ms frame at 16 kHz over a clip of speech in noise from
benchmarks/vad_devset.py, each configuration processing the whole clip in ONE native call
(AudioProcessor.process loops over the frames without the GIL), so the number is the C
cost without Python call overhead. Baseline: the same call with no processing (the copy
the call makes anyway), and, for scale, the labels + VAD per frame (VadEngine.process, one
Python call per frame, what the receive path runs after the APM). Configurations are timed
round-robin and the best round is kept, as the machine is shared (timings are noisy).

Effect: false starts per minute of the engine's VAD (C labels + V2 state machine, default
config) on the noise-only clips of vad_devset.build_noise_set (white, pink, brown, hum,
babble, clicks, music-like tones at -60..-15 dBFS), with the raw audio and with the audio
after each APM configuration; and speech-frame recall on the dev set (speech in noise,
5..30 dB SNR), so a lower false-start rate is not bought by deafness.

Run: python benchmarks/bench_apm.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _report import print_table, save  # noqa: E402
from vad_devset import build_devset, build_noise_set, merge_gaps  # noqa: E402

from agora_rtc import AudioProcessor  # noqa: E402
from agora_rtc._core._engine import VadEngine, default_vad_config  # noqa: E402

RATE = 16000
CONFIGS = {"none": (False, False), "ns": (True, False), "agc": (False, True), "ns+agc": (True, True)}


def vad_states(pcm):
    n = RATE // 100
    fb = 2 * n
    raw = pcm[: len(pcm) // n * n].tobytes()
    eng = VadEngine(default_vad_config())
    return np.array([eng.process(raw[i:i + fb], RATE, 1)[0] for i in range(0, len(raw), fb)], np.int8)


def processed(pcm, cfg):
    pcm = pcm[: len(pcm) // 160 * 160]
    if cfg == "none":
        return pcm
    return np.frombuffer(AudioProcessor(RATE, 1, *CONFIGS[cfg]).process(pcm), np.int16)


def cost(seconds, rounds):
    pcm = build_devset(11, RATE, n_clips=1, seconds=seconds)[0][0]
    pcm = pcm[: len(pcm) // 160 * 160]
    frames = len(pcm) // 160
    best = {c: float("inf") for c in CONFIGS}
    best_vad = float("inf")
    raw = pcm.tobytes()
    for _ in range(rounds):
        for c in CONFIGS:
            p = AudioProcessor(RATE, 1, *CONFIGS[c])
            t = time.perf_counter()
            p.process(pcm)
            best[c] = min(best[c], (time.perf_counter() - t) / frames * 1e6)
        eng = VadEngine(default_vad_config())
        t = time.perf_counter()
        for i in range(0, len(raw), 320):
            eng.process(raw[i:i + 320], RATE, 1)
        best_vad = min(best_vad, (time.perf_counter() - t) / frames * 1e6)
    return best, best_vad, frames


def false_starts(n_clips, seconds):
    rows = {c: {} for c in CONFIGS}
    minutes = {}
    for seed in (1, 2):
        for pcm, _, desc in build_noise_set(seed, RATE, n_clips=n_clips, seconds=seconds):
            kind = desc.split()[1]
            minutes[kind] = minutes.get(kind, 0.0) + len(pcm) / RATE / 60
            for c in CONFIGS:
                starts = int(np.sum(vad_states(processed(pcm, c)) == 1))
                rows[c][kind] = rows[c].get(kind, 0) + starts
    return rows, minutes


def recall(n_clips, seconds):
    out = {}
    clips = build_devset(7, RATE, n_clips=n_clips, seconds=seconds)
    for c in CONFIGS:
        hit = total = 0
        for pcm, truth, _ in clips:
            s = vad_states(processed(pcm, c))
            t = merge_gaps(truth)[: len(s)]
            hit += int(np.sum(t & np.isin(s[: len(t)], (1, 2, 3))))
            total += int(np.sum(t))
        out[c] = hit / max(total, 1)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter clips, fewer rounds")
    args = ap.parse_args()
    q = args.quick
    per_frame, vad_us, frames = cost(10.0 if q else 60.0, 3 if q else 7)
    print_table(f"APM cost per 10 ms frame at 16 kHz ({frames} frames, best of rounds; shared machine, noisy)",
                ["config", "us/frame", "extra vs none (us)", "vs labels+VAD"],
                [[c, per_frame[c], per_frame[c] - per_frame["none"],
                  f"{(per_frame[c] - per_frame['none']) / vad_us:.2f}x"] for c in CONFIGS]
                + [["labels+VAD (per Python call)", vad_us, "", "1.00x"]])
    fs, minutes = false_starts(4 if q else 7, 20.0 if q else 60.0)
    kinds = sorted(minutes)
    print_table("VAD false starts per minute on noise-only audio (lower is better)",
                ["noise"] + list(CONFIGS),
                [[k] + [fs[c][k] / minutes[k] for c in CONFIGS] for k in kinds]
                + [["all"] + [sum(fs[c].values()) / sum(minutes.values()) for c in CONFIGS]])
    rc = recall(3 if q else 8, 20.0 if q else 30.0)
    print_table("Speech-frame recall on the dev set (speech in noise; higher is better)",
                list(CONFIGS), [[rc[c] for c in CONFIGS]])
    save("bench_apm" + ("_quick" if q else ""), {
        "cost_us_per_frame": per_frame, "labels_vad_us_per_frame": vad_us, "frames": frames,
        "false_starts": {c: {k: fs[c][k] for k in kinds} for c in CONFIGS},
        "noise_minutes": minutes, "false_starts_per_min_all":
            {c: sum(fs[c].values()) / sum(minutes.values()) for c in CONFIGS},
        "speech_recall": rc, "quick": q})


if __name__ == "__main__":
    main()
