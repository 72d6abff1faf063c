"""Throughput of the video RTP payload formats (src/_native/video_rtp*.c:
VP8 RFC 7741, H.264 RFC 6184) against a straightforward pure-Python
implementation of exactly the same packetization, in the same run.

Frames: VP8 frames and H.264 access units of typical encoder sizes for
720p30 at 2.5 Mbit/s and 1080p30 at 5 Mbit/s: a keyframe (720p 120 KB,
1080p 250 KB; H.264: SPS + PPS + one IDR slice) and a delta frame (720p
10 KB, 1080p 20 KB; H.264: one non-IDR slice). The bytes are random (H.264:
no zero bytes, so no start-code emulation), which does not change the work
of either side. max_payload 1200 bytes.

Measured, per frame (median of the runs, microseconds) and as MB/s of
frame bytes and packets/s:
  C loop      the C packetizer / depacketizer over the frame, GIL released,
              no Python object per packet (what the RTP transport does), via
              the engine's internal hooks _video_rtp_packetize_loop /
              _video_rtp_depacketize_loop;
  C hook      _video_rtp_packetize (a bytes object per packet) and
              _VideoDepacketizer.push per packet from Python: the C plus
              the Python-call overhead;
  Python      the pure-Python implementation below (bytes slicing,
              bytes.find for start codes, bytearray assembly).
The Python and C packets are compared (identical), and both depacketizers
must return the frame. The machine is shared (2 cores, several agents):
timings are noisy, read the ratio within one run.

Run: python benchmarks/bench_video_rtp.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _report import print_table, save  # noqa: E402

from agora_rtc._core import _engine  # noqa: E402

VP8, H264 = 1, 2
MAX_PAYLOAD = 1200
SIZES = {  # (keyframe bytes, delta bytes)
    "720p": (120_000, 10_000),
    "1080p": (250_000, 20_000),
}


# ------------------------------------------------- pure-Python reference

def py_vp8_packetize(frame, max_payload, picture_id):
    room = max_payload - 4
    count = -(-len(frame) // room)
    pid = bytes((0x80 | ((picture_id >> 8) & 0x7F), picture_id & 0xFF))
    out, pos = [], 0
    for k in range(count):
        left = len(frame) - pos
        n = -(-left // (count - k))
        desc = (b"\x90\x80" if k == 0 else b"\x80\x80") + pid
        out.append((desc + frame[pos:pos + n], k == count - 1))
        pos += n
    return out


def py_nal_units(au):
    nals, starts, i = [], [], 0
    while True:
        j = au.find(b"\x00\x00\x01", i)
        if j < 0:
            break
        starts.append(j)
        i = j + 3
    if not starts or au[:starts[0]].strip(b"\x00"):
        raise ValueError("not Annex B")
    for k, s in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(au)
        nal = au[s + 3:end].rstrip(b"\x00")
        if not nal:
            raise ValueError("empty NAL unit")
        nals.append(nal)
    return nals


def py_h264_packetize(au, max_payload):
    nals = py_nal_units(au)
    out, i = [], 0
    while i < len(nals):
        nal = nals[i]
        if len(nal) > max_payload:  # FU-A, balanced
            body, room = nal[1:], max_payload - 2
            count = -(-len(body) // room)
            ind = bytes(((nal[0] & 0xE0) | 28,))
            pos = 0
            for k in range(count):
                left = len(body) - pos
                n = -(-left // (count - k))
                hdr = (0x80 if k == 0 else 0) | (0x40 if k == count - 1 else 0) | (nal[0] & 0x1F)
                out.append(ind + bytes((hdr,)) + body[pos:pos + n])
                pos += n
            i += 1
            continue
        group, size = [nal], 3 + len(nal)
        while i + len(group) < len(nals) and size + 2 + len(nals[i + len(group)]) <= max_payload:
            size += 2 + len(nals[i + len(group)])
            group.append(nals[i + len(group)])
        if len(group) == 1:
            out.append(nal)
        else:
            f = nri = 0
            for g in group:
                f |= g[0] & 0x80
                nri = max(nri, g[0] & 0x60)
            out.append(bytes((f | nri | 24,)) + b"".join(len(g).to_bytes(2, "big") + g for g in group))
        i += len(group)
    return [(p, k == len(out) - 1) for k, p in enumerate(out)]


def py_vp8_depacketize(payloads):
    buf = bytearray()
    for k, (p, marker) in enumerate(payloads):
        off = 1
        if p[0] & 0x80:
            x = p[1]
            off = 2
            if x & 0x80:
                off += 2 if p[off] & 0x80 else 1
            if x & 0x40:
                off += 1
            if x & 0x30:
                off += 1
        start = (p[0] & 0x10) and not (p[0] & 0x07)
        if bool(start) != (k == 0) or off >= len(p):
            raise ValueError("bad VP8 payload")
        buf += p[off:]
    return bytes(buf), (buf[0] & 1) == 0


def py_h264_depacketize(payloads):
    buf, key = bytearray(), False
    for p, marker in payloads:
        t = p[0] & 0x1F
        if 1 <= t <= 23:
            buf += b"\x00\x00\x00\x01" + p
            key |= t == 5
        elif t == 24:
            off = 1
            while off < len(p):
                n = int.from_bytes(p[off:off + 2], "big")
                nal = p[off + 2:off + 2 + n]
                if n == 0 or len(nal) != n:
                    raise ValueError("bad STAP-A")
                buf += b"\x00\x00\x00\x01" + nal
                key |= (nal[0] & 0x1F) == 5
                off += 2 + n
        elif t == 28:
            fu = p[1]
            if fu & 0x80:
                buf += b"\x00\x00\x00\x01" + bytes(((p[0] & 0xE0) | (fu & 0x1F),))
                key |= (fu & 0x1F) == 5
            buf += p[2:]
        else:
            raise ValueError("unsupported NAL type")
    return bytes(buf), key


# ---------------------------------------------------------------- frames

def make_frames(rng):
    frames = {}
    for res, (key_size, delta_size) in SIZES.items():
        for kind, size in (("key", key_size), ("delta", delta_size)):
            body = bytes(rng.randrange(1, 256) for _ in range(size))
            vp8 = bytes((body[0] & 0xFE | (0 if kind == "key" else 1),)) + body[1:]
            # slices begin with first_mb_in_slice 0 (a 1 bit), as an encoder's
            if kind == "key":
                h264 = (b"\x00\x00\x00\x01\x67" + body[:12] + b"\x00\x00\x00\x01\x68" + body[12:16]
                        + b"\x00\x00\x00\x01\x65\x88" + body[16:size - 23])
            else:
                h264 = b"\x00\x00\x00\x01\x41\x88" + body[:size - 6]
            frames[(res, kind)] = {VP8: vp8, H264: h264}
    return frames


def median_us(fn, runs, per_call=1):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e6 / per_call)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs (about 1 s; the full run takes about 5 s)")
    args = ap.parse_args()
    runs = 5 if args.quick else 21
    loop_reps = 200 if args.quick else 2000
    py_reps = 5 if args.quick else 20
    rng = random.Random(1)
    frames = make_frames(rng)
    rows, results = [], []
    for (res, kind), by_codec in frames.items():
        for codec, name in ((VP8, "VP8"), (H264, "H264")):
            frame = by_codec[codec]
            c_packets = _engine._video_rtp_packetize(codec, frame, MAX_PAYLOAD)
            py_packets = (py_vp8_packetize(frame, MAX_PAYLOAD, 0) if codec == VP8
                          else py_h264_packetize(frame, MAX_PAYLOAD))
            assert c_packets == py_packets, f"{name} {res} {kind}: C and Python packets differ"
            py_depack = py_vp8_depacketize if codec == VP8 else py_h264_depacketize
            back, is_key = py_depack(py_packets)
            assert is_key == (kind == "key")
            # the keyframe is pushed first so the C depacketizer hands out deltas too
            key_packets = _engine._video_rtp_packetize(codec, frames[(res, "key")][codec], MAX_PAYLOAD)
            items = [(i, 7, m, p) for i, (p, m) in enumerate(key_packets + c_packets)]
            for i in range(len(key_packets), len(items)):
                items[i] = (items[i][0], 8, items[i][2], items[i][3])
            out = _engine._video_rtp_depacketize(codec, items)
            assert [o[0] for o in out] == ["frame", "frame"] and out[1][1] == back

            npk = len(c_packets)
            pk_loop = median_us(lambda: _engine._video_rtp_packetize_loop(codec, frame, MAX_PAYLOAD,
                                                                         loop_reps), runs, loop_reps)
            pk_hook = median_us(lambda: _engine._video_rtp_packetize(codec, frame, MAX_PAYLOAD), runs)
            pk_py = median_us(lambda: [py_vp8_packetize(frame, MAX_PAYLOAD, 0) if codec == VP8
                                       else py_h264_packetize(frame, MAX_PAYLOAD)
                                       for _ in range(py_reps)], runs, py_reps)
            # delta frames are handed out after one keyframe (pushed once per call)
            assert _engine._video_rtp_depacketize_loop(codec, c_packets, 3, key_packets) == 3
            dp_loop = median_us(lambda: _engine._video_rtp_depacketize_loop(
                codec, c_packets, loop_reps, key_packets), runs, loop_reps)

            def hook_depack():
                d = _engine._VideoDepacketizer(codec)
                d.push(0, 1, True, b"\x90\x80\x80\x00\x00" if codec == VP8 else b"\x65\x88")
                for i, (p, m) in enumerate(c_packets):
                    d.push(i + 1, 2, m, p)
            dp_hook = median_us(hook_depack, runs)
            dp_py = median_us(lambda: [py_depack(c_packets) for _ in range(py_reps)], runs, py_reps)
            mb = len(frame) / 1e6
            for op, loop_us, hook_us, py_us in (("packetize", pk_loop, pk_hook, pk_py),
                                                ("depacketize", dp_loop, dp_hook, dp_py)):
                row = {"codec": name, "frame": f"{res} {kind}", "bytes": len(frame), "packets": npk,
                       "op": op, "c_loop_us": round(loop_us, 2), "c_hook_us": round(hook_us, 2),
                       "python_us": round(py_us, 1), "c_loop_mb_s": round(mb / (loop_us / 1e6)),
                       "c_loop_packets_s": round(npk / (loop_us / 1e6)),
                       "python_mb_s": round(mb / (py_us / 1e6), 1),
                       "speedup_loop": round(py_us / loop_us, 1), "speedup_hook": round(py_us / hook_us, 1)}
                results.append(row)
                rows.append([name, row["frame"], len(frame), npk, op, loop_us, hook_us, py_us,
                             row["c_loop_mb_s"], f"{row['c_loop_packets_s'] / 1e6:.2f} M",
                             row["python_mb_s"], f"{row['speedup_loop']}x", f"{row['speedup_hook']}x"])
    print_table(f"Video RTP payload formats, max_payload {MAX_PAYLOAD} (median us per frame; "
                f"shared machine, noisy: read the ratios)",
                ["codec", "frame", "bytes", "pkts", "op", "C loop us", "C hook us", "Python us",
                 "C MB/s", "C pkts/s", "Py MB/s", "Py/C loop", "Py/C hook"], rows)
    save("video_rtp", {"max_payload": MAX_PAYLOAD, "runs": runs, "loop_repetitions": loop_reps,
                       "quick": args.quick, "rows": results})


if __name__ == "__main__":
    main()
