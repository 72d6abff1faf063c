"""Encoded test video for the examples and tests: a synthetic moving pattern
written as Y4M and encoded by Debian's command-line encoders, for code that
pushes encoded frames (raw frames pushed on Janus are encoded by the SDK).

* VP8: ``vpxenc`` (Debian ``vpx-tools``) -> IVF -> one frame per IVF record;
* H.264: ``ffmpeg`` with libx264 (Debian ``ffmpeg``), Annex B with an access
  unit delimiter before each frame -> one access unit per frame, every NAL
  unit behind a 4-byte start code (the form RFC 6184 depacketizing gives back).

Each function returns a list of `EncodedFrame`; `missing_tools` says which
encoder is absent (callers skip with that reason).
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from typing import List, Optional

import numpy as np


@dataclass(frozen=True)
class EncodedFrame:
    data: bytes
    keyframe: bool
    width: int
    height: int


def missing_tools(codec: str) -> Optional[str]:
    """None when the encoder for ``codec`` ("vp8" / "h264") is installed, else why not."""
    if codec == "vp8":
        return None if shutil.which("vpxenc") else "vpxenc not installed (Debian package vpx-tools)"
    if shutil.which("ffmpeg") is None:
        return "ffmpeg not installed (Debian package ffmpeg)"
    return None


def _env() -> dict:
    # encoders run without the sanitizer runtime the test process may preload
    return {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


def write_y4m(path: str, width: int, height: int, frames: int, fps: int = 30) -> None:
    """A moving gradient with a bright square (I420, 8 bit)."""
    y0 = np.add.outer(np.arange(height), np.arange(width)).astype(np.int32)
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            y = ((y0 + 4 * i) % 220 + 16).astype(np.uint8)
            s = (i * 3) % max(1, width - 16)
            y[height // 4:height // 4 + 16, s:s + 16] = 235
            u = np.full((height // 2, width // 2), 128 + (i % 32), np.uint8)
            v = np.full((height // 2, width // 2), 128 - (i % 32), np.uint8)
            fh.write(b"FRAME\n" + y.tobytes() + u.tobytes() + v.tobytes())


def read_ivf(path: str) -> List[bytes]:
    """The frame payloads of an IVF file."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:4] != b"DKIF":
        raise ValueError(f"{path}: not an IVF file")
    off, frames = struct.unpack_from("<H", data, 6)[0], []
    while off + 12 <= len(data):
        size = struct.unpack_from("<I", data, off)[0]
        frames.append(data[off + 12:off + 12 + size])
        off += 12 + size
    return frames


def vp8_frames(width: int = 320, height: int = 240, frames: int = 30, keyint: int = 10,
               fps: int = 30) -> List[EncodedFrame]:
    """VP8 frames of the test pattern (a keyframe every ``keyint`` frames)."""
    with tempfile.TemporaryDirectory() as d:
        y4m, ivf = os.path.join(d, "in.y4m"), os.path.join(d, "out.ivf")
        write_y4m(y4m, width, height, frames, fps)
        subprocess.run(["vpxenc", "--codec=vp8", "--ivf", "--good", "--cpu-used=8",
                        f"--kf-max-dist={keyint}", f"--kf-min-dist={keyint}",
                        "--target-bitrate=300", "--lag-in-frames=0", "--auto-alt-ref=0",
                        "--quiet", "-o", ivf, y4m],
                       check=True, capture_output=True, timeout=120, env=_env())
        out = read_ivf(ivf)
    # RFC 6386 9.1: bit 0 of the frame tag is 0 on a key frame
    return [EncodedFrame(f, not f[0] & 1, width, height) for f in out]


def nal_units(stream: bytes) -> List[bytes]:
    """NAL units of an Annex B stream (start codes and trailing zeros removed)."""
    units, i, n = [], 0, len(stream)
    starts = []
    while True:
        j = stream.find(b"\x00\x00\x01", i)
        if j < 0:
            break
        starts.append(j + 3)
        i = j + 3
    for k, s in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else n
        units.append(stream[s:end].rstrip(b"\x00"))
    return [u for u in units if u]


def h264_access_units(width: int = 320, height: int = 240, frames: int = 30, keyint: int = 10,
                      fps: int = 30) -> List[EncodedFrame]:
    """H.264 access units of the test pattern (baseline profile, one slice per
    frame, an IDR every ``keyint`` frames with SPS/PPS in front)."""
    with tempfile.TemporaryDirectory() as d:
        y4m, out = os.path.join(d, "in.y4m"), os.path.join(d, "out.h264")
        write_y4m(y4m, width, height, frames, fps)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", y4m,
                        "-c:v", "libx264", "-profile:v", "baseline", "-preset", "ultrafast",
                        "-tune", "zerolatency", "-bf", "0", "-g", str(keyint),
                        "-x264-params", f"keyint={keyint}:min-keyint={keyint}:scenecut=0:aud=1:"
                                        "slices=1:repeat-headers=1",
                        "-f", "h264", out],
                       check=True, capture_output=True, timeout=120, env=_env())
        with open(out, "rb") as fh:
            stream = fh.read()
    aus: List[List[bytes]] = []
    for nal in nal_units(stream):
        if nal[0] & 0x1F == 9 or not aus:     # access unit delimiter starts a frame
            aus.append([])
        aus[-1].append(nal)
    result = []
    for au in aus:
        au = [n for n in au if n[0] & 0x1F != 9]      # the delimiter is not needed on RTP
        if not au:
            continue
        key = any(n[0] & 0x1F == 5 for n in au)
        result.append(EncodedFrame(b"".join(b"\x00\x00\x00\x01" + n for n in au), key,
                                   width, height))
    return result
