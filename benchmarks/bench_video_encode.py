"""Cost of encoding raw video in push_video_frame on the Janus (RTP)
transport, against the ffmpeg command line encoding the same frames with the
same libavcodec encoder and settings, in the same run.

For 640x360 and 1280x720 I420 frames of ffmpeg's testsrc2 pattern at 30 fps,
VP8 (libvpx) and H.264 (libx264): milliseconds per frame of
push_video_frame on an RTP connection (validation, I420 copy, encode, post to
the I/O thread, which sends to a local UDP sink), and of `ffmpeg -c:v libvpx`
/ `-c:v libx264` with the settings the SDK uses (real time, one thread, no
frame lag, constant bitrate), measured as the wall time of N frames minus
that of 1 frame (process start and input excluded), divided by N - 1. Also
the bytes per frame each produced. The machine is shared: read the ratio.

Run: python benchmarks/bench_video_encode.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _report import percentile, print_table, save  # noqa: E402

import agora_rtc as ar  # noqa: E402

SIZES = {"360p": (640, 360), "720p": (1280, 720)}
CODECS = {"vp8": (1, 96), "h264": (2, 107)}
FPS = 30


class _RtpConnection(ar.RTCConnection):
    def _native_open(self, service, auto_subscribe, role, profile, rate, channels, transport=0):
        super()._native_open(service, auto_subscribe, role, profile, rate, channels, transport=1)


def pattern(w, h, n):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={FPS}",
                          "-frames:v", str(n), "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    size = w * h * 3 // 2
    return [raw[i * size:(i + 1) * size] for i in range(n)]


def kbps_of(w, h):
    return w * h * FPS // 10000          # the SDK's default: 0.1 bit per pixel per frame


def sdk_ms(svc, sink_port, codec, frames, w, h):
    conn = _RtpConnection(svc, ar.RTCConnConfig())
    try:
        assert conn._rtp_open()[0] == 0
        conn._connect(b"", b"bench", b"encoder")
        assert conn._rtp_set_publish_target(b"127.0.0.1", sink_port, 0, 1000) == 0
        assert conn._rtp_set_video_publish(1010, *CODECS[codec]) == 0
        assert conn._post_event(0, None, 1) == 0
        assert conn.publish_video() == 0
        deadline = time.monotonic() + 5
        while conn.push_video_frame(frame_of(frames[0], w, h, 1)) != 0:   # connected: also the warm-up
            assert time.monotonic() < deadline
            time.sleep(0.01)
        times = []
        for i, buf in enumerate(frames[1:], 2):
            t0 = time.perf_counter()
            assert conn.push_video_frame(frame_of(buf, w, h, i)) == 0
            times.append((time.perf_counter() - t0) * 1000)
        deadline = time.monotonic() + 10
        while conn._rtp_stats()["video_frames_sent"] < len(frames):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        sent = conn._rtp_stats()
        return times, sent["video_frames_sent"]
    finally:
        conn.release()


def frame_of(buf, w, h, i):
    return ar.ExternalVideoFrame(type=1, format=ar.VideoPixelFormat.VIDEO_PIXEL_I420, buffer=buf,
                                 stride=w, height=h, timestamp=i * 1000 // FPS)


def ffmpeg_args(codec, w, h):
    rate = f"{kbps_of(w, h)}k"
    common = ["-b:v", rate, "-maxrate", rate, "-bufsize", rate, "-g", str(FPS * 3), "-threads", "1"]
    if codec == "vp8":
        return ["-c:v", "libvpx", "-minrate", rate, "-deadline", "realtime", "-cpu-used", "8",
                "-lag-in-frames", "0", "-error-resilient", "default", *common, "-f", "ivf"]
    return ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline",
            "-bf", "0", *common, "-f", "h264"]


def ffmpeg_run(codec, frames, w, h):
    data = b"".join(frames)
    t0 = time.perf_counter()
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}",
                          "-r", str(FPS), "-i", "-", *ffmpeg_args(codec, w, h), "-"],
                         input=data, check=True, capture_output=True).stdout
    return (time.perf_counter() - t0) * 1000, len(out)


def ffmpeg_ms(codec, frames, w, h, runs):
    per = []
    size = 0
    for _ in range(runs):
        one, _ = ffmpeg_run(codec, frames[:1], w, h)
        many, size = ffmpeg_run(codec, frames, w, h)
        per.append((many - one) / (len(frames) - 1))
    return per, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer frames (about 20 s)")
    args = ap.parse_args()
    n = 60 if args.quick else 300
    runs = 2 if args.quick else 5
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    rows, results = [], []
    with ar.AgoraService(ar.AgoraServiceConfig(appid="bench")) as svc:
        for size, (w, h) in SIZES.items():
            frames = pattern(w, h, n)
            for codec in CODECS:
                sdk, sent = sdk_ms(svc, sink.getsockname()[1], codec, frames, w, h)
                ff, ff_bytes = ffmpeg_ms(codec, frames, w, h, runs)
                s_med, f_med = percentile(sdk, 50), percentile(ff, 50)
                rows.append([size, codec, s_med, percentile(sdk, 90), f_med, s_med / f_med, sent])
                results.append({"size": size, "width": w, "height": h, "codec": codec, "frames": n,
                                "kbps": kbps_of(w, h), "sdk_ms_median": s_med, "sdk_ms_p90": percentile(sdk, 90),
                                "ffmpeg_ms_per_frame_median": f_med, "sdk_over_ffmpeg": s_med / f_med,
                                "sdk_frames_sent": sent, "ffmpeg_bytes_per_frame": ff_bytes / n})
    sink.close()
    print_table(f"push_video_frame with encoding (RTP transport) vs the ffmpeg command line, ms per frame "
                f"({n} frames; shared 2-core machine, noisy)",
                ["size", "codec", "push ms", "push p90", "ffmpeg ms", "push/ffmpeg", "frames sent"], rows)
    save("video_encode", {"benchmark": "bench_video_encode", "quick": args.quick,
                          "baseline": "ffmpeg command line, same libavcodec encoder and settings, "
                                      "same frames, same run (N-frame minus 1-frame wall time)",
                          "results": results})


if __name__ == "__main__":
    main()
