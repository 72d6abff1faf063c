"""The janus transport: latency, CPU per stream and streams per agent process.

Everything runs against a private Janus 1.1.2 (JanusServer, loopback only)
on this machine. Three parts, each with its baseline in the same run:

1. mouth-to-ear latency. Agent A pushes a 100 ms 1 kHz tone after silence
   (its send queue empty); agent B's observer stamps the first frame from A
   whose rms exceeds a threshold. Latency = stamp - push call, p50/p99 over
   --onsets tones. Same measurement on the local (in-process) transport:
   the difference is what RTP/Opus (20 ms packets; --packet-ms 20,10 adds a
   row with 10 ms ones), Janus and the jitter buffer add; the listener's mean
   jitter-buffer wait per packet (its counters) says how much of it is the
   buffer's.
2. streams per agent process. N remote publishers send Opus RTP into Janus
   (one sender process replays Opus packets captured from our own encoder
   through Janus: no encoding cost in the measured processes); one listening
   agent process hears all N through rtp_forward with VAD on and every 10 ms
   frame delivered to Python (dispatch="queued"). A point passes ("frames on
   time") when, over the window, the observer received >= 99 % of N x 100
   frames/s, <= 1 % of the packets arrived after their playout turn (late),
   nothing was dropped from the frame queue, and p99 of (receipt in Python -
   decode time) <= 20 ms. The share of concealed (PLC) frames is reported,
   not judged: it measures the jitter of the Python sender on a shared
   machine (the jitter buffer adapts its delay by inserting and dropping
   frames), not the agent. The ramp reports the largest passing N.
3. CPU per stream, at each point of the ramp: the listening agent process,
   Janus and the sender, in % of one core per stream. Baseline: the same N
   on the local transport (N in-process senders + one listener in one
   process; there the number includes the senders' pacing, but no Opus).

The machine is shared (2 cores, other jobs): timings are noisy, each point
waits (at most 30 s) for a quiet machine, records the CPU other processes used
meanwhile, and a point that fails while they used more than half a core is
measured once more.

Run: python benchmarks/bench_janus.py [--quick] [--ramp 100,200,300,500] [--window 5]
     [--no-scale]  (part 1 only; saved to results/janus_latency.json, or --out NAME)
     [--packet-ms 20,10]  (part 1: the talker's Opus packet lengths through Janus)
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402
import bench_dispatch as bd  # noqa: E402

import agora_rtc as ar  # noqa: E402
from agora_rtc.agora_parameter import AUDIO_PACKET_MS  # noqa: E402
from agora_rtc.janus import JanusClient, JanusServer  # noqa: E402
from agora_rtc.janus.link import janus_id  # noqa: E402

RATE = 16000
TONE = (8000 * np.sin(2 * np.pi * 1000 * np.arange(RATE // 10) / RATE)).astype(np.int16)
ONSET_PEAK = 2000   # the tone's peak is 8000; Opus noise on silence stays far below
P99_LIMIT_MS = 20.0
IO_THREAD = "agora-io"       # the engine's I/O thread: sockets, RTP, jitter buffers (one core at most)
RETRY_IF_OTHERS_PCT = 50.0   # a failing point measured while others used > half a core runs again


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children: none here), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service(url: str) -> ar.AgoraService:
    return ar.AgoraService(ar.AgoraServiceConfig(appid="bench", transport_url=url))


def janus_url(janus: JanusServer) -> str:
    return f"{janus.transport_url}?admin_key={janus.admin_key}"


# --------------------------------------------------------------------------- 1. latency

class OnsetObserver(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    def __init__(self, talker: str):
        self.talker = talker
        self.joined = threading.Event()
        self.onset = threading.Event()
        self.t_onset = 0.0
        self.last_loud = 0.0

    def on_user_joined(self, conn, uid):
        if uid == self.talker:
            self.joined.set()

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
        if uid != self.talker or np.abs(np.frombuffer(frame.buffer, np.int16)).max() < ONSET_PEAK:
            return
        now = time.monotonic()
        self.last_loud = now
        if not self.onset.is_set():
            self.t_onset = now
            self.onset.set()


def push_tones(talker, ear: OnsetObserver, onsets: int) -> list:
    """Push TONE `onsets` times from `talker`, each after silence (the talker's queue
    empty, `ear` heard nothing loud for 300 ms); the ms from each push call to the
    first loud frame `ear` got (tones never heard within 3 s are left out)."""
    lat = []
    for _ in range(onsets):
        while not talker.is_push_to_rtc_completed() or time.monotonic() - ear.last_loud < 0.3:
            time.sleep(0.01)
        ear.onset.clear()
        t0 = time.monotonic()
        talker.push_audio_pcm_data(TONE, RATE, 1)
        if ear.onset.wait(3):
            lat.append((ear.t_onset - t0) * 1000)
    return lat


def measure_latency(url: str, onsets: int, channel: str, packet_ms: int = 20) -> dict:
    with service(url) as svc:
        a = svc.create_rtc_connection(ar.RTCConnConfig())
        if a.get_agora_parameter().set_int(AUDIO_PACKET_MS, packet_ms) != 0:
            raise ValueError(f"packet_ms: 10 or 20 expected, got {packet_ms}")
        b = svc.create_rtc_connection(ar.RTCConnConfig())
        obs = OnsetObserver("talker")
        b.register_observer(obs)
        b.register_audio_frame_observer(obs)
        b.connect("", channel, "ear")
        a.connect("", channel, "talker")
        a.publish_audio()
        if not obs.joined.wait(20):
            raise RuntimeError(f"{url}: the listener never saw the talker join")
        time.sleep(0.5)
        lat = push_tones(a, obs, onsets)
        # the listener's jitter buffer at the end (Janus only): what it settled on
        jb = {}
        if url:
            st = b._rtp_stats()
            jb = {k: st[k] for k in ("target_delay_ms", "current_delay_ms", "plc_frames", "lost", "late")}
            # where the time went: each packet's mean wait in the jitter buffer (arrival to
            # play, plus the audio held ahead of it: WebRTC's jitterBufferDelay / emitted)
            remotes, _ = b._remote_audio_stats()
            played = sum(r["packets_played"] for r in remotes)
            jb["mean_wait_ms"] = (sum(r["jitter_buffer_delay_sum_ms"] for r in remotes) / played
                                  if played else float("nan"))
        a.release()
        b.release()
    return {"onsets": onsets, "detected": len(lat), "p50_ms": _report.percentile(lat, 50),
            "p99_ms": _report.percentile(lat, 99), "max_ms": max(lat) if lat else float("nan"), "jitter_buffer": jb}


# --------------------------------------------------------------------------- 2. scale

def capture_opus(janus: JanusServer, seconds: float) -> list:
    """Opus payloads of our own encoder, as Janus forwards them (speech, 20 ms each)."""
    room_id = janus_id("bench-capture")
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind((janus.host, 0))
    sink.settimeout(2.0)
    payloads = []
    with service(janus_url(janus)) as svc:
        src = svc.create_rtc_connection(ar.RTCConnConfig())
        obs = OnsetObserver("-")
        connected = threading.Event()
        obs.on_connected = lambda *a: connected.set()
        src.register_observer(obs)
        src.connect("", "bench-capture", "source")
        if not connected.wait(20):
            raise RuntimeError("capture: the source never connected")
        src.publish_audio()
        client = JanusClient(janus.url)
        client.connect()
        room = client.videoroom(admin_key=janus.admin_key)
        fwd = room.rtp_forward(room_id, janus_id("source"), host=janus.host, port=sink.getsockname()[1],
                               ssrc=4242, admin_key=janus.admin_key)
        src.push_audio_pcm_data(bd.speech_signal(seconds + 1.0), RATE, 1)
        while len(payloads) < seconds * 50:
            pkt = sink.recv(2048)
            payloads.append(_rtp_payload(pkt))
        # tidy order: the forward, then the publisher (its connection), then our session
        room.stop_rtp_forward(fwd, admin_key=janus.admin_key)
        src.release()
        client.close()
    sink.close()
    return payloads


def _rtp_payload(pkt: bytes) -> bytes:
    """The payload of an RTP packet (RFC 3550: CSRCs, extension, padding)."""
    b0 = pkt[0]
    off = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:
        (ext_words,) = struct.unpack_from("!H", pkt, off + 2)
        off += 4 + 4 * ext_words
    end = len(pkt) - (pkt[-1] if b0 & 0x20 else 0)
    return pkt[off:end]


def run_sender(args) -> int:
    """Child: replay Opus packets to N remote publishers every 20 ms (absolute deadlines)."""
    spec = json.loads(sys.stdin.readline())
    payloads = [bytes.fromhex(p) for p in spec["payloads"]]
    ports, host = spec["ports"], spec["host"]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    end = time.monotonic() + spec["seconds"]
    t, k = time.monotonic(), 0
    while t < end:
        hdr = struct.pack("!BBHII", 0x80, 111, k & 0xFFFF, (k * 960) & 0xFFFFFFFF, 1000)
        pkt = hdr + payloads[k % len(payloads)]
        for port in ports:
            try:
                sock.sendto(pkt, (host, port))
            except OSError:
                pass
        k += 1
        t += 0.020
        d = t - time.monotonic()
        if d > 0:
            time.sleep(d)
    return 0


def udp_drops(ports) -> int:
    """Datagrams the kernel dropped (full receive buffer) on the UDP sockets bound to `ports`."""
    ports, total = set(ports), 0
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if int(cols[1].split(":")[1], 16) in ports:
                total += int(cols[-1])
    return total


class CountingObserver(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    def __init__(self):
        self.users = set()
        self.lock = threading.Lock()
        self.count = 0
        self.t0_us = self.t1_us = 1 << 62
        self.lat = []

    def on_user_joined(self, conn, uid):
        with self.lock:
            self.users.add(uid)

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad,
                                              _now=time.monotonic_ns):
        now = _now() // 1000
        if self.t0_us <= now < self.t1_us:
            self.count += 1
            self.lat.append(now - frame.send_time_us)


def run_listener(args) -> int:
    """Child: one agent hearing N publishers through Janus; prints one JSON line."""
    spec = json.loads(sys.stdin.readline())
    n, warm, window = spec["n"], spec["warm"], spec["window"]
    out = {"n": n}
    with service(spec["url"]) as svc:
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        obs = CountingObserver()
        conn.register_observer(obs)
        conn.register_audio_frame_observer(obs, 1, ar.AudioVadConfigV2(), dispatch="queued",
                                           max_queued_frames=max(3000, 100 * n))
        t = time.monotonic()
        conn.connect("", spec["channel"], "listener")
        deadline = time.monotonic() + 30 + 0.05 * n
        while len(obs.users) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        out["joined"] = len(obs.users)
        out["setup_s"] = time.monotonic() - t
        time.sleep(warm)
        my_port = conn._rtp_stats()["local_port"]
        drops0 = udp_drops([my_port]), udp_drops(spec["janus_ports"])
        snap0 = bd.CpuSnapshot()
        s0, c0, j0 = conn._rtp_stats(), time.process_time(), cpu_seconds(spec["janus_pid"])
        snd0 = cpu_seconds(spec["sender_pid"])
        load = bd.MachineLoad()
        t0 = time.monotonic()
        obs.t0_us, obs.t1_us = int(t0 * 1e6), int((t0 + window) * 1e6)
        time.sleep(window)
        wall = time.monotonic() - t0
        s1, c1, j1 = conn._rtp_stats(), time.process_time(), cpu_seconds(spec["janus_pid"])
        drops1 = udp_drops([my_port]), udp_drops(spec["janus_ports"])
        threads = {name: round(100 * s / wall, 1) for name, s in snap0.delta(bd.CpuSnapshot())["threads"].items()}
        snd1 = cpu_seconds(spec["sender_pid"])
        time.sleep(0.2)   # frames decoded inside the window still in the queue
        q = conn._queue_stats() or {}
        lat = bd.latency_stats(obs.lat)
        d = {k: s1[k] - s0[k] for k in ("frames_decoded", "plc_frames", "late", "lost", "fec_recoveries",
                                         "packets_received", "jb_dropped", "decode_errors")}
        out.update(frames=obs.count, expected=int(n * 100 * wall), rtp=d, queue_dropped=q.get("dropped", 0),
                   lat=lat, cpu_listener_pct=100 * (c1 - c0) / wall, cpu_janus_pct=100 * (j1 - j0) / wall,
                   cpu_sender_pct=100 * (snd1 - snd0) / wall, others_pct=load.others_pct(), wall=wall,
                   cpu_threads_pct=threads, kernel_drops_agent=drops1[0] - drops0[0],
                   kernel_drops_janus=drops1[1] - drops0[1])
        conn.release()
    played = max(1, d["frames_decoded"] + d["plc_frames"] + d["fec_recoveries"])
    out["concealed_pct"] = 100.0 * d["plc_frames"] / played
    out["late_pct"] = 100.0 * d["late"] / max(1, d["packets_received"])
    out["ok"] = (out["joined"] == n and out["frames"] >= 0.99 * out["expected"]
                 and out["late_pct"] <= 1.0 and out["queue_dropped"] == 0
                 and lat["p99_ms"] <= P99_LIMIT_MS)
    print(json.dumps(out), flush=True)
    return 0


def janus_point(janus: JanusServer, payloads: list, n: int, warm: float, window: float) -> dict:
    channel = f"bench-scale-{n}"
    room_id = janus_id(channel)
    client = JanusClient(janus.url)
    client.connect()
    room = client.videoroom(admin_key=janus.admin_key)
    room.create(room_id, publishers=n + 8, admin_key=janus.admin_key)
    pubs = [room.add_remote_publisher(room_id, id=i + 1, display=f"pub{i}", iface=janus.host)
            for i in range(n)]
    me = [sys.executable, os.path.abspath(__file__)]
    total = 30 + 0.05 * n + warm + window + 10
    sender = subprocess.Popen(me + ["--_sender"], stdin=subprocess.PIPE, text=True)
    sender.stdin.write(json.dumps({"payloads": [p.hex() for p in payloads], "host": janus.host,
                                   "ports": [p.port for p in pubs], "seconds": total}) + "\n")
    sender.stdin.flush()
    listener = subprocess.Popen(me + ["--_listener"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
    listener.stdin.write(json.dumps({"url": janus_url(janus), "channel": channel, "n": n, "warm": warm,
                                     "window": window, "janus_pid": janus.pid,
                                     "sender_pid": sender.pid, "janus_ports": [p.port for p in pubs]})
                         + "\n")
    listener.stdin.flush()
    try:
        out, _ = listener.communicate(timeout=total + 30)
        res = json.loads(out.strip().splitlines()[-1])
    except Exception as exc:  # a point that crashed or hung fails; the ramp stops
        listener.kill()
        listener.wait()
        res = {"n": n, "ok": False, "error": repr(exc)}
    finally:
        sender.kill()
        sender.wait()
        room.close_room(room_id, [p.id for p in pubs])
        client.close()
    return res


def local_point(n: int, warm: float, window: float) -> dict:
    """Baseline: N in-process senders into one listener on the local transport."""
    sig = bd.speech_signal(warm + window + 2.0)
    with service("") as svc:
        obs = CountingObserver()
        lis = svc.create_rtc_connection(ar.RTCConnConfig())
        lis.register_observer(obs)
        lis.register_audio_frame_observer(obs, 1, ar.AudioVadConfigV2(), dispatch="queued",
                                          max_queued_frames=max(3000, 100 * n))
        lis.connect("", "bench-local", "listener")
        senders = []
        for i in range(n):
            c = svc.create_rtc_connection(ar.RTCConnConfig())
            c.connect("", "bench-local", f"pub{i}")
            c.publish_audio()
            senders.append(c)
        for c in senders:
            c.push_audio_pcm_data(sig, RATE, 1)
        time.sleep(warm)
        c0, t0 = time.process_time(), time.monotonic()
        obs.t0_us, obs.t1_us = int(t0 * 1e6), int((t0 + window) * 1e6)
        time.sleep(window)
        wall = time.monotonic() - t0
        c1 = time.process_time()
        for c in senders:
            c.release()
        lis.release()
    return {"n": n, "frames": obs.count, "expected": int(n * 100 * wall),
            "cpu_process_pct": 100 * (c1 - c0) / wall, "lat": bd.latency_stats(obs.lat)}


# --------------------------------------------------------------------------- main

def latency_part(janus: JanusServer, onsets: int, packet_ms=(20,)) -> dict:
    """Part 1: mouth-to-ear latency on both transports (Janus with each Opus
    packet length of packet_ms), printed as a table (with the load average
    before and after: the machine is shared)."""
    load_before = os.getloadavg()[0]
    rows = {"local": measure_latency("", onsets, "bench-latency-local")}
    for ms in packet_ms:
        key = "janus" if ms == 20 else f"janus_{ms}ms"
        rows[key] = measure_latency(janus_url(janus), onsets, f"bench-latency-janus-{ms}", ms)
    _report.print_table("mouth-to-ear latency (push call -> first loud frame in the listener's observer)",
                        ["transport", "tones", "detected", "p50 ms", "p99 ms", "max ms", "jb target ms", "jb delay ms",
                         "jb mean wait ms"],
                        [[k, v["onsets"], v["detected"], v["p50_ms"], v["p99_ms"], v["max_ms"],
                          v["jitter_buffer"].get("target_delay_ms", "-"), v["jitter_buffer"].get("current_delay_ms", "-"),
                          v["jitter_buffer"].get("mean_wait_ms", "-")]
                         for k, v in rows.items()])
    out = dict(rows, load_average_1min=[load_before, os.getloadavg()[0]])
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    for k, v in rows.items():
        if k != "local":
            out["added_p50_ms" + k[5:]] = v["p50_ms"] - rows["local"]["p50_ms"]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer onsets, ramp 100,200, 3 s windows")
    p.add_argument("--ramp", default="100,200,300,400,500,700")
    p.add_argument("--window", type=float, default=5.0)
    p.add_argument("--warm", type=float, default=2.0)
    p.add_argument("--onsets", type=int, default=40)
    p.add_argument("--no-latency", action="store_true", help="skip part 1 (latency): the scale ramp only")
    p.add_argument("--no-scale", action="store_true", help="skip parts 2 and 3 (the scale ramp): latency only")
    p.add_argument("--packet-ms", default="20",
                   help="latency part: the talker's Opus packet lengths on Janus, e.g. 20,10")
    p.add_argument("--out", default="janus_latency", help="latency-only results file name (--no-scale)")
    p.add_argument("--keep-going", action="store_true", help="measure every N of the ramp, even after a failure")
    p.add_argument("--_sender", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_listener", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args._sender:
        return run_sender(args)
    if args._listener:
        return run_listener(args)
    if args.quick:
        args.ramp, args.window, args.warm, args.onsets = "100,200", 3.0, 1.0, 12
    ramp = [int(x) for x in args.ramp.split(",")]
    results = {"params": {"ramp": ramp, "window_s": args.window, "warm_s": args.warm,
                          "onsets": args.onsets, "p99_limit_ms": P99_LIMIT_MS}}
    with JanusServer(debug_level=2) as janus:
        if not args.no_latency:
            results["latency"] = latency_part(janus, args.onsets,
                                              [int(x) for x in args.packet_ms.split(",")])
        if args.no_scale:
            _report.save(args.out, results)
            return 0

        payloads = capture_opus(janus, 4.0)
        points, best, broken = [], 0, False
        for n in ramp:
            bd.wait_quiet(max_wait=30.0)
            try:
                res = janus_point(janus, payloads, n, args.warm, args.window)
            except Exception as exc:   # Janus itself failed: say so with its log, end the ramp
                print(f"  N={n}: Janus failed ({exc}); janus running={janus.running}; its log:\n"
                      f"{janus.log_tail(30)}", flush=True)
                points.append({"n": n, "ok": False, "error": repr(exc), "local": local_point(n, args.warm, args.window)})
                break
            if not res.get("ok") and res.get("others_pct", 0.0) > RETRY_IF_OTHERS_PCT:
                print(f"  N={n} failed while other processes used {res['others_pct']:.0f} % of a core: "
                      "measuring once more", flush=True)
                bd.wait_quiet(max_wait=60.0)
                res = dict(janus_point(janus, payloads, n, args.warm, args.window), first_try=res)
            res["local"] = local_point(n, args.warm, args.window)
            points.append(res)
            print(f"  N={n}: {'ok' if res.get('ok') else 'FAIL'} "
                  f"{json.dumps({k: res.get(k) for k in ('frames', 'expected', 'lat', 'rtp', 'late_pct', 'concealed_pct', 'kernel_drops_agent', 'kernel_drops_janus', 'cpu_listener_pct', 'cpu_threads_pct', 'cpu_janus_pct', 'others_pct', 'error')})}",
                  flush=True)
            if not res.get("ok"):
                broken = True
                if args.keep_going:
                    continue
                break
            if not broken:
                best = n   # the largest N below which every point passed
        results["scale"] = {"points": points, "largest_n_on_time": best}
    rows = []
    for r in points:
        loc = r["local"]
        io = r.get("cpu_threads_pct", {}).get(IO_THREAD, float("nan"))
        rows.append([r["n"], "ok" if r.get("ok") else "FAIL", r.get("frames", 0), r.get("expected", 0),
                     r.get("lat", {}).get("p99_ms", float("nan")), r.get("concealed_pct", float("nan")),
                     r.get("kernel_drops_agent", float("nan")), io, io / r["n"],
                     r.get("cpu_listener_pct", float("nan")) / r["n"],
                     r.get("cpu_janus_pct", float("nan")) / r["n"],
                     r.get("cpu_sender_pct", float("nan")) / r["n"],
                     loc["cpu_process_pct"] / r["n"], r.get("others_pct", float("nan"))])
    _report.print_table("N Opus publishers through Janus into one listening agent (VAD on, every frame to Python)",
                        ["N", "on time", "frames", "expected", "p99 ms", "PLC %", "socket drops",
                         "I/O thread %", "I/O %/stream", "agent %/stream",
                         "janus %/stream", "sender %/stream", "local baseline %/stream", "others %"], rows)
    print(f"\nlargest N with every frame on time: {best}")
    _report.save("janus", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
