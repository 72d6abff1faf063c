"""What the RTP receive side costs per stream and second, whole listening process, builds side by side.

One listening agent (RTP transport, dispatch="queued", VAD on, 16 kHz frames, every 10 ms
frame to a Python observer) hears N Opus streams that a separate sender process (not
measured) replays onto its UDP socket: Opus packets captured once from our own encoder,
one SSRC per stream, every --packet-ms on absolute deadlines. No Janus: what arrives on
the socket is the same, and only the listener is measured. Measures, for each build in
turns (A B C, B C A, ...), each figure over A's in the same round:

* instructions: the listener under ``valgrind --tool=callgrind``, a short and a long window;
  (instructions of the long run - of the short run) / (stream-seconds between them) is what
  one stream costs per second (Python interpreter, Cython module, engine, libopus together;
  start-up and shut-down cancel out). Counts do not depend on what else the machine does.
  Valgrind runs the threads one at a time, slowly: keep N small (8); the frames delivered and
  the late / concealed packets are printed so a run that fell behind shows.
* parts: from the long run, the inclusive instructions per stream-second of the functions on
  the receive path (the playout tick, the receive pool, the Opus decode, the frame queue,
  the Python dispatcher), for finding what a change moved. Needs builds with symbols:
  ``pip install --config-settings=install.strip=false .``.
* cpu: the CPU time of all the listener's threads (``/proc/self/task/*/schedstat``) and
  their context switches (the wake-ups: not in an instruction count) over a window, per
  stream-second, natively with --cpu-streams streams.

    python benchmarks/rtp_receive_cost.py --trees NAME=TREE,NAME=TREE[,...]
        [--measures instructions,parts,cpu] [--repeat 2] [--streams 8] [--cpu-streams 100]
        [--packet-ms 20] [--name rtp_receive_cost]

The first tree is the baseline. Each tree needs its own virtual environment in TREE/.venv
with agora_rtc installed from it. Saved to results/NAME.json (default rtp_receive_cost.json).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _probe  # noqa: E402
import _report  # noqa: E402
from _probe import frame_counter  # noqa: E402

PT_OPUS = 111
EV_CONNECTED = 0
WARM_S = 2.0

# parts: a name -> regex on the function name (inclusive instructions, the first match's maximum)
PARTS = [
    ("playout tick (I/O thread, all of it)", r"^rtp_on_timer$"),
    ("  jitter buffer pulls", r"^agora_audio_playout_pull$"),
    ("  hand-off to the receive pool (per stream)", r"^agora_io_deliver_audio$"),
    ("receive pool run (fork-join, all threads)", r"^agora_rx_pool_run$"),
    ("  helper threads' runs", r"^helper_main$"),
    ("  Opus decode + FIFO (per job)", r"^agora_audio_playout_decode$"),
    ("  receive path (10 ms cut, labels, VAD)", r"^agora_rx_feed$"),
    ("  frame queue push (per frame)", r"^push_frame$"),
    ("  held listeners released (wake the consumer)", r"^release_holds$"),
    ("socket reads + RTP + jitter buffer inserts", r"^rtp_on_readable$|^on_readable$"),
    ("I/O loop", r"^io_main$|^agora_io_loop$|^io_thread_main$"),
    ("Python dispatcher (drain, observer calls)", r"_DispatchThread_\d+_run$|_DispatchThread__loop"),
]


def capture_payloads(packet_ms: int, seconds: float) -> list:
    """Runs in a build's interpreter (``--capture``): Opus packets of speech from our encoder."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests"))
    import agora_rtc as ar
    import bench_dispatch as bd
    from agora_rtc.agora_parameter import AUDIO_PACKET_MS
    from agora_rtc.rtc_connection import RTCConnection

    class RtpConnection(RTCConnection):
        def _native_open(self, service, auto_subscribe, role, profile, rate, channels, transport=0):
            super()._native_open(service, auto_subscribe, role, profile, rate, channels, transport=1)

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(5.0)
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="rtp-receive-cost"))
    conn = RtpConnection(svc, ar.RTCConnConfig())
    rc, _ = conn._rtp_open(b"127.0.0.1")
    assert rc == 0, rc
    assert conn.get_agora_parameter().set_int(AUDIO_PACKET_MS, packet_ms) == 0
    assert conn.connect("", "room", "talker") == 0
    assert conn._rtp_set_publish_target(b"127.0.0.1", sink.getsockname()[1], 0, 1000) == 0
    assert conn.publish_audio() == 0
    assert conn._post_event(EV_CONNECTED, None, 1) == 0
    assert conn.push_audio_pcm_data(bd.speech_signal(seconds + 0.5), 16000, 1) == 0
    payloads = []
    while len(payloads) < seconds * 1000 / packet_ms:
        pkt = sink.recv(2048)
        if len(pkt) > 12 and pkt[1] & 0x7F == PT_OPUS:
            payloads.append(pkt[12:].hex())    # (our sender: no CSRC, no extension, no padding)
    conn.release()
    svc.release()
    return payloads


def send(port: int, n: int, packet_ms: int, payload_file: str) -> None:
    """Child (``--send``, plain Python): n streams (SSRC 1..n) of the captured packets to port."""
    with open(payload_file) as f:
        payloads = [bytes.fromhex(p) for p in json.load(f)]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    step = 48 * packet_ms
    t, k = time.monotonic(), 0
    while True:
        for s in range(1, n + 1):
            hdr = struct.pack("!BBHII", 0x80, PT_OPUS, k & 0xFFFF, (k * step) & 0xFFFFFFFF, s)
            try:
                sock.sendto(hdr + payloads[(k + 37 * s) % len(payloads)], ("127.0.0.1", port))
            except OSError:
                pass
        k += 1
        t += packet_ms / 1000
        d = t - time.monotonic()
        if d > 0:
            time.sleep(d)


def probe(n: int, window: float, packet_ms: int, payload_file: str) -> dict:
    """Runs in the build's interpreter (``--probe``), maybe under valgrind: one listener, one window."""
    import agora_rtc as ar
    from agora_rtc.rtc_connection import RTCConnection

    class RtpConnection(RTCConnection):
        def _native_open(self, service, auto_subscribe, role, profile, rate, channels, transport=0):
            super()._native_open(service, auto_subscribe, role, profile, rate, channels, transport=1)

    def threads() -> tuple:
        """CPU ns and context switches of all threads, and the switches by thread name."""
        cpu = switches = 0
        by_name, cpu_by_name = {}, {}
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    ns = int(f.read().split()[0])
                with open(f"/proc/self/task/{tid}/status") as f:
                    sw = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
                with open(f"/proc/self/task/{tid}/comm") as f:
                    name = f.read().strip()
            except OSError:   # a thread that ended meanwhile
                continue
            cpu += ns
            switches += sw
            by_name[name] = by_name.get(name, 0) + sw
            cpu_by_name[name] = cpu_by_name.get(name, 0) + ns
        return cpu, switches, by_name, cpu_by_name

    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="rtp-receive-cost"))
    conn = RtpConnection(svc, ar.RTCConnConfig())
    conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 16000)
    counter = frame_counter()
    assert conn.register_audio_frame_observer(counter, 1, ar.AudioVadConfigV2(), dispatch="queued",
                                              max_queued_frames=max(3000, 100 * n)) == 0
    rc, port = conn._rtp_open(b"127.0.0.1")
    assert rc == 0, rc
    assert conn.connect("", "room", "listener") == 0
    for s in range(1, n + 1):
        assert conn._rtp_add_remote(s, f"u{s}".encode()) == 0
    assert conn._post_event(EV_CONNECTED, None, 1) == 0
    sender = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--send", str(port), str(n),
                               str(packet_ms), payload_file])
    try:
        time.sleep(WARM_S)
        s0, (cpu0, sw0, by0, cb0), n0, t0 = conn._rtp_stats(), threads(), counter.n, time.monotonic()
        time.sleep(window)
        s1, (cpu1, sw1, by1, cb1), n1, t1 = conn._rtp_stats(), threads(), counter.n, time.monotonic()
    finally:
        sender.kill()
        sender.wait()
    q = conn._queue_stats() or {}
    remotes = conn._remote_audio_stats()[0]   # (time-stretching is the jitter buffer's policy, not the tick's)
    stretches = {k: sum(r[k] for r in remotes) for k in ("stretch_accelerations", "stretch_expansions")}
    stretches["target_ms_mean"] = sum(r["jitter_buffer_target_ms"] for r in remotes) / max(1, len(remotes))
    conn.release()
    svc.release()
    d = {k: s1[k] - s0[k] for k in ("packets_received", "frames_decoded", "plc_frames", "late", "lost")}
    return {"frames": n1 - n0, "expected_frames": int(n * 100 * (t1 - t0)), "wall_s": t1 - t0,
            "cpu_s": (cpu1 - cpu0) / 1e9, "context_switches": sw1 - sw0,
            "switches_by_thread": {k: v - by0.get(k, 0) for k, v in by1.items()},
            "cpu_s_by_thread": {k: (v - cb0.get(k, 0)) / 1e9 for k, v in cb1.items()}, "queue_dropped": q.get("dropped", 0),
            "rtp": d, "stretches": stretches}


def run_probe(tree: str, n: int, window: float, packet_ms: int, payload_file: str,
              valgrind_out: str | None = None) -> dict:
    return _probe.run_probe(tree, __file__, [n, window, packet_ms, payload_file], valgrind_out,
                            keep_out=True)


def inclusive(out_file: str) -> dict:
    """{function: inclusive instructions} from callgrind_annotate (all threads)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file],
                          capture_output=True, text=True, check=True).stdout
    res = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+\S*?:?(\S+?)(?: \[|$)", line)
        if m:
            fn = m.group(2).split(":")[-1]
            res[fn] = max(res.get(fn, 0), int(m.group(1).replace(",", "")))
    return res


def instructions(tree: str, args, payload_file: str, keep_parts: bool) -> dict:
    with tempfile.TemporaryDirectory() as d:
        short = run_probe(tree, args.streams, args.short, args.packet_ms, payload_file, os.path.join(d, "s.out"))
        long = run_probe(tree, args.streams, args.long, args.packet_ms, payload_file, os.path.join(d, "l.out"))
        stream_s = args.streams * (args.long - args.short)
        res = {"per_stream_s": (long["instructions"] - short["instructions"]) / stream_s,
               "short": short, "long": long}
        if keep_parts:
            fns = inclusive(os.path.join(d, "l.out"))
            stream_s_long = args.streams * (args.long + WARM_S)   # the whole run, start-up included
            res["parts_per_stream_s"] = {
                name: max((v for f, v in fns.items() if re.search(rx, f)), default=0) / stream_s_long
                for name, rx in PARTS}
    return res


def cpu(tree: str, args, payload_file: str) -> dict:
    r = run_probe(tree, args.cpu_streams, args.window, args.packet_ms, payload_file)
    stream_s = args.cpu_streams * r["wall_s"]
    r["cpu_us_per_stream_s"] = 1e6 * r["cpu_s"] / stream_s
    r["switches_per_s"] = r["context_switches"] / r["wall_s"]
    return r


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        n, window, packet_ms, payload_file = sys.argv[2:6]
        print(json.dumps(probe(int(n), float(window), int(packet_ms), payload_file)))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--send":
        port, n, packet_ms, payload_file = sys.argv[2:6]
        send(int(port), int(n), int(packet_ms), payload_file)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--capture":
        print(json.dumps(capture_payloads(int(sys.argv[2]), 6.0)))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trees", required=True, help="NAME=TREE,... (the first is the baseline)")
    ap.add_argument("--measures", default="instructions,parts,cpu")
    ap.add_argument("--repeat", type=int, default=2, help="rounds over the trees per measure")
    ap.add_argument("--streams", type=int, default=8, help="streams under valgrind (it is slow)")
    ap.add_argument("--short", type=float, default=2.0, help="short window under valgrind, s")
    ap.add_argument("--long", type=float, default=8.0, help="long window under valgrind, s")
    ap.add_argument("--cpu-streams", type=int, default=100, help="streams for the cpu measure")
    ap.add_argument("--window", type=float, default=8.0, help="cpu measure window, s")
    ap.add_argument("--packet-ms", type=int, default=20, choices=(10, 20))
    ap.add_argument("--name", default="rtp_receive_cost", help="results/NAME.json")
    args = ap.parse_args()
    trees = dict(item.split("=", 1) for item in args.trees.split(","))
    names = list(trees)
    measures = args.measures.split(",")

    first = trees[names[0]]
    cap = subprocess.run([os.path.join(first, ".venv", "bin", "python"), os.path.abspath(__file__), "--capture",
                          str(args.packet_ms)], cwd=tempfile.gettempdir(), capture_output=True, text=True,
                         timeout=120)
    if cap.returncode != 0:
        raise SystemExit(f"capture failed:\n{cap.stderr[-2000:]}")
    payload_file = os.path.join(tempfile.mkdtemp(), "payloads.json")
    with open(payload_file, "w") as f:
        f.write(cap.stdout.strip().splitlines()[-1])

    runs = {m: {name: [] for name in names} for m in ("instructions", "cpu")}
    load = []
    for i in range(args.repeat):
        order = names[i % len(names):] + names[:i % len(names)]   # rotate which runs first
        for name in order:
            load.append(os.getloadavg()[0])
            if "instructions" in measures or "parts" in measures:
                r = instructions(trees[name], args, payload_file, "parts" in measures)
                runs["instructions"][name].append(r)
                lg = r["long"]
                print(f"round {i + 1} {name}: {r['per_stream_s']:.0f} instructions/stream-s "
                      f"(long run: frames {lg['frames']}/{lg['expected_frames']}, late {lg['rtp']['late']}, "
                      f"plc {lg['rtp']['plc_frames']})", flush=True)
            if "cpu" in measures:
                r = cpu(trees[name], args, payload_file)
                runs["cpu"][name].append(r)
                print(f"round {i + 1} {name}: {r['cpu_us_per_stream_s']:.0f} CPU us/stream-s, "
                      f"{r['switches_per_s']:.0f} context switches/s (frames {r['frames']}/{r['expected_frames']}, "
                      f"late {r['rtp']['late']}, plc {r['rtp']['plc_frames']})", flush=True)
    load.append(os.getloadavg()[0])

    base = names[0]
    rows = []
    summary = {}
    for key, measure, unit in (("per_stream_s", "instructions", "instructions / stream-s"),
                               ("cpu_us_per_stream_s", "cpu", "CPU us / stream-s"),
                               ("switches_per_s", "cpu", "context switches / s")):
        if not runs[measure][base]:
            continue
        for name in names:
            vals = [r[key] for r in runs[measure][name]]
            ratios = [v / b[key] for v, b in zip(vals, runs[measure][base])]
            summary[f"{name}: {unit}"] = {"values": vals, "ratio_to_" + base: ratios,
                                          "median_ratio": statistics.median(ratios)}
            rows.append([unit, name, ", ".join(f"{v:.0f}" for v in vals), ", ".join(f"{r:.3f}" for r in ratios)])
    _report.print_table(f"RTP receive side per stream, {args.packet_ms} ms packets (instructions: "
                        f"{args.streams} streams; cpu: {args.cpu_streams} streams)",
                        ["measure", "build", "per round", f"over {base}, per round"], rows)
    if "parts" in measures and runs["instructions"][base]:
        parts_rows = []
        for pname, _ in PARTS:
            vals = [statistics.median(r["parts_per_stream_s"][pname] for r in runs["instructions"][n]) for n in names]
            parts_rows.append([pname] + [f"{v:.0f}" for v in vals] +
                              [f"{v / vals[0]:.2f}" if vals[0] else "n/a" for v in vals[1:]])
        _report.print_table("by part, instructions per stream-second (median; the long run, start-up included)",
                            ["part"] + names + [f"{n}/{base}" for n in names[1:]], parts_rows)
        summary["parts"] = parts_rows
    _report.save(args.name, {"trees": {n: os.path.abspath(t) for n, t in trees.items()}, "args": vars(args),
                             "load_average_1min": load, "summary": summary, "runs": runs})


if __name__ == "__main__":
    main()
