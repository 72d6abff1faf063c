"""Jitter buffers under impairment: our agent and Chromium on the same packets.

Agent A publishes to a private Janus 1.1.2 through an impairing UDP relay
(tests/impair_relay.py: the relay sits between A and Janus's remote-publisher
port, so every subscriber gets the same impaired stream). Two subscribers
hear it in the same run:

* our agent B (rtp_forward from Janus into the RTP transport), and
* headless Chromium running examples/web (janus.js, a WebRTC subscriber),
  which reports its getStats every 500 ms.

A pushes a continuous stream, 10 ms frames just in time, with a 100 ms 1 kHz
tone every 500 ms (silence between). Phases, in this order, each --phase
seconds: clean; 0..40 ms of jitter per packet (30 +- 20 ms, reordering
included); 5 % loss; 20 % loss; a 2 s stall (the relay holds the packets
and sends them as a burst); a burst of 250 packets (a 5 s stall released at
once); each stall phase measures what follows the burst.

Per phase, for us: mouth-to-ear p50 / p99 (the tone's scheduled send time to
the first loud frame in B's observer: A's send queue included, which a loaded
machine can back up), packet-to-ear p50 / p99 (the packet of that frame
reaching the relay, i.e. leaving A, to the frame in B's observer: network,
jitter buffer, decode, delivery), our jitter buffer's delay as WebRTC
counts it (jitter_buffer_delay_sum / played_packets: each packet's time from
arrival to playout, decoded audio held included), our playout delay (the
jitter_buffer_delay statistic sampled every 100 ms: since the packet's
earliest possible arrival, so the packet's own lateness included), the
concealment ratio; for Chromium: its jitter buffer delay per emitted sample
(delta jitterBufferDelay / delta jitterBufferEmittedCount over the phase)
and its concealment ratio (delta concealedSamples / delta
totalSamplesReceived).

The two concealment ratios count the same thing: audio synthesised because
no packet was there to decode, over all audio played. libwebrtc's
concealedSamples are NetEq's expand samples (its StatisticsCalculator:
expanded voice and noise samples, the silent ones, silentConcealedSamples,
included; counted from the first decoded output on); accelerate / preemptive
expand (time-stretching) and FEC-decoded audio are not concealment. Ours:
frames_concealed (PLC frames: a lost packet without FEC, an underrun; the
silence that stood in for a late packet after quiet audio) /
(frames decoded + FEC frames + PLC frames); our accelerate / expand
operations are not counted either. Ours is in packets (20 ms each here),
theirs in samples. After the stall and the
burst: the time until the delay is back within 10 ms of the clean phase's
(for us: onsets' mouth-to-ear, for Chromium: its per-report jitter buffer
delay). Ratios us / Chromium are printed per phase.

Needs root (a private network namespace, as examples/web_agent.py --netns:
Janus does not offer ICE candidates on loopback), Debian's chromium,
janus, libjs-janus-gateway and libjs-webrtc-adapter.

Run: sudo python benchmarks/bench_impairment.py [--phase 15] [--quick]
     (--quick: 4 s phases; saved to results/impairment.json)
"""
from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import _report  # noqa: E402
import web_agent as web  # noqa: E402
from impair_relay import ImpairRelay  # noqa: E402

import agora_rtc as ar  # noqa: E402
from agora_rtc.janus import JanusServer  # noqa: E402
from agora_rtc.janus.link import janus_id  # noqa: E402

RATE = 16000
FRAME = RATE // 100
TONE_EVERY = 50          # frames (500 ms)
TONE_FRAMES = 10         # 100 ms
AHEAD = 3                # frames pushed ahead of their send time
ONSET_PEAK = 2000
CHANNEL, TALKER, EAR = "impairment", "talker", "ear"
_IN_NETNS_ENV = "AGORA_RTC_BENCH_IMPAIRMENT_NETNS"
PHASES = ("clean", "jitter 0..40 ms", "loss 5 %", "loss 20 %", "stall 2 s", "burst 250")


class LoggingRelay(ImpairRelay):
    """The impairing relay, noting when each of A's packets reached it (= left A: loopback)."""

    def __init__(self, *args, **kw):
        self.sent_at: dict = {}  # RTP timestamp -> monotonic s
        super().__init__(*args, **kw)

    def _relay(self, data):
        if len(data) >= 12:
            self.sent_at.setdefault(int.from_bytes(data[4:8], "big"), time.monotonic())
        super()._relay(data)


class Ear(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    """B: stamps the first loud frame of each tone (time, RTP timestamp of its packet)."""

    def __init__(self):
        self.joined = threading.Event()
        self.onsets: list = []  # monotonic s
        self.onset_ts: dict = {}  # monotonic s -> RTP timestamp of the frame
        self.quiet_since = time.monotonic()
        self.loud = False

    def on_user_joined(self, conn, uid):
        if uid == TALKER:
            self.joined.set()

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
        if uid != TALKER:
            return
        now = time.monotonic()
        loud = np.abs(np.frombuffer(frame.buffer, np.int16)).max() >= ONSET_PEAK
        if loud and not self.loud and now - self.quiet_since > 0.2:
            self.onsets.append(now)
            self.onset_ts[now] = frame.rtp_timestamp
        if not loud and self.loud:
            self.quiet_since = now
        self.loud = loud


class Talker(threading.Thread):
    """A: 10 ms frames pushed just in time; the scheduled send time of each tone is kept."""

    def __init__(self, conn):
        super().__init__(name="talker", daemon=True)
        self.conn = conn
        self.tones: list = []  # scheduled send time (monotonic s) of each tone's first sample
        self.stop = threading.Event()
        t = np.arange(FRAME * TONE_FRAMES) / RATE
        self.tone = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
        self.rng = np.random.default_rng(23)

    def run(self):
        t0 = time.monotonic() + 0.1
        k = 0
        block = np.zeros(0, np.int16)  # the current tone's frames (silence around it)
        while not self.stop.is_set():
            due = t0 + (k - AHEAD) * 0.01
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if k % TONE_EVERY == 0:
                # each tone starts at a random sample of a random one of two frames, so
                # that its onsets sample every phase of the receivers' playout grids
                start = int(self.rng.integers(0, 2 * FRAME))
                block = np.zeros((TONE_FRAMES + 2) * FRAME, np.int16)
                block[start:start + self.tone.size] = self.tone
                self.tones.append(t0 + k * 0.01 + start / RATE)
            i = k % TONE_EVERY
            pcm = block[i * FRAME:(i + 1) * FRAME] if i < TONE_FRAMES + 2 else np.zeros(FRAME, np.int16)
            self.conn.push_audio_pcm_data(pcm, RATE, 1)
            k += 1


def latencies(tones, onsets, t_from, t_to):
    """[(tone time, mouth-to-ear ms)] of the tones sent in [t_from, t_to)."""
    out = []
    for t in tones:
        if not t_from <= t < t_to:
            continue
        hit = next((o for o in onsets if t <= o < t + 0.45), None)
        if hit is not None:
            out.append((t, (hit - t) * 1000))
    return out


def page_stats(reports, t_from, t_to):
    """Chromium's inbound audio over reports taken in [t_from, t_to): (jitter buffer
    delay ms per emitted sample, concealment ratio, [(time, delay of that report interval)])."""
    sel = [(t, r) for t, r in reports if t_from <= t < t_to and r]
    if len(sel) < 2:
        return float("nan"), float("nan"), []
    per = []
    for (ta, a), (tb, b) in zip(sel, sel[1:]):
        de = b.get("jitterBufferEmittedCount", 0) - a.get("jitterBufferEmittedCount", 0)
        if de > 0:
            per.append((tb, 1000 * (b["jitterBufferDelay"] - a["jitterBufferDelay"]) / de))
    a, b = sel[0][1], sel[-1][1]
    de = b.get("jitterBufferEmittedCount", 0) - a.get("jitterBufferEmittedCount", 0)
    ds = b.get("totalSamplesReceived", 0) - a.get("totalSamplesReceived", 0)
    delay = 1000 * (b["jitterBufferDelay"] - a["jitterBufferDelay"]) / de if de > 0 else float("nan")
    concealed = (b.get("concealedSamples", 0) - a.get("concealedSamples", 0)) / ds if ds > 0 else float("nan")
    return delay, concealed, per


def recovery_s(series, level, t_resume):
    """Seconds after t_resume until every later value of series [(t, v)] is <= level."""
    after = [(t, v) for t, v in series if t >= t_resume]
    for i, (t, _) in enumerate(after):
        if all(v <= level for _, v in after[i:]):
            return t - t_resume
    return float("inf")


def run(args) -> dict:
    web.setup_netns()
    host, ice = web.NETNS_ADDR, [web.NETNS_VETH]
    profile = tempfile.TemporaryDirectory(prefix="agora-bench-browser-")
    reports: list = []  # (monotonic s, inbound audio stats)
    our_delay: list = []  # (monotonic s, jitter_buffer_delay ms)
    relay = None
    with JanusServer(host=host, ice_interfaces=ice) as janus:
        url = f"{janus.transport_url}?admin_key={janus.admin_key}&video=none"
        pages = web.PageServer((host, 0), {"janus": janus.url, "room": janus_id(CHANNEL),
                                           "agent": TALKER, "display": "browser"})
        threading.Thread(target=pages.serve_forever, name="page-server", daemon=True).start()
        with ar.AgoraService(ar.AgoraServiceConfig(appid="bench", transport_url=url)) as svc:
            a = svc.create_rtc_connection(ar.RTCConnConfig())
            b = svc.create_rtc_connection(ar.RTCConnConfig())
            if args.packet_ms != 20:
                assert a.get_agora_parameter().set_int("agora_rtc.audio_packet_ms", args.packet_ms) == 0
            set_target = a._rtp_set_publish_target

            def via_relay(ip, port, rtcp_port, ssrc):
                nonlocal relay  # A -> relay -> Janus's remote-publisher port
                if relay is None:
                    relay = LoggingRelay(port, host=ip.decode(), stall_capacity=250, seed=23)
                return set_target(ip, relay.port, rtcp_port, ssrc)

            a._rtp_set_publish_target = via_relay
            ear = Ear()
            b.register_observer(ear)
            b.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, RATE)
            b.register_audio_frame_observer(ear)
            assert b.connect("", CHANNEL, EAR) == 0
            assert a.connect("", CHANNEL, TALKER) == 0
            assert a.publish_audio() == 0
            if not ear.joined.wait(20):
                raise RuntimeError("the listener never saw the talker join")
            talker = Talker(a)
            talker.start()
            browser = web.start_browser("headless", pages.url + "?autostart=1&report=1&novideo=1",
                                        None, profile.name)
            stop = threading.Event()

            def collect():
                while not stop.is_set():
                    try:
                        r = pages.reports.get(timeout=0.1)
                        reports.append((time.monotonic(), r.get("inbound") or {}))
                    except queue.Empty:
                        pass
                    for s in b._remote_audio_stats()[0]:
                        if s["user_id"] == TALKER:
                            our_delay.append((time.monotonic(), s["jitter_buffer_delay_ms"],
                                              s["jitter_buffer_target_ms"]))

            collector = threading.Thread(target=collect, name="collect", daemon=True)
            collector.start()
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not any(
                        r.get("jitterBufferEmittedCount") for _, r in reports):
                    time.sleep(0.2)
                if not any(r.get("jitterBufferEmittedCount") for _, r in reports):
                    raise RuntimeError("Chromium never played the talker's audio")
                time.sleep(1.0)
                spans = {}
                counters = {}

                def ours():
                    (s,) = [s for s in b._remote_audio_stats()[0] if s["user_id"] == TALKER]
                    return s

                for name in PHASES:
                    if name.startswith("jitter"):
                        relay.set(jitter_ms=40)
                    elif name.startswith("loss"):
                        relay.set(loss=0.05 if "5 " in name else 0.20)
                    elif name.startswith("stall"):
                        relay.stall()
                        time.sleep(2.0)
                        relay.resume()
                    elif name.startswith("burst"):
                        relay.stall()
                        while relay.counts["held"] - relay.counts["burst"] < 250:
                            time.sleep(0.05)
                        relay.resume()
                    c0 = ours()  # counted from the impairment on (after a stall's burst)
                    t0 = time.monotonic()
                    time.sleep(args.phase)
                    spans[name] = (t0, time.monotonic())
                    counters[name] = (c0, ours())
                    relay.set(jitter_ms=0, loss=0.0)
                    time.sleep(1.0)  # the buffers settle before the next phase
            finally:
                stop.set()
                collector.join(5)
                talker.stop.set()
                talker.join(5)
                web.stop_browser(browser)
                pages.shutdown()
                pages.server_close()
                a.release()
                b.release()
                if relay is not None:
                    relay.close()
    profile.cleanup()

    rows = {}
    clean_lat = clean_page = None
    for name in PHASES:
        t0, t1 = spans[name]
        lat = latencies(talker.tones, ear.onsets, t0, t1)
        vals = [v for _, v in lat]
        # from the tone's packet leaving A to B hearing it: network, jitter buffer, decode,
        # delivery (without A's send queue, which a loaded machine can back up)
        wire = [(o - relay.sent_at[ear.onset_ts[o]]) * 1000 for o in ear.onsets
                if t0 <= o < t1 and ear.onset_ts.get(o) in relay.sent_at]
        s0, s1 = counters[name]
        played = (s1["frames_received"] - s0["frames_received"]) + (s1["frames_fec"] - s0["frames_fec"])
        plc = s1["frames_concealed"] - s0["frames_concealed"]
        jb = [v for t, v, _ in our_delay if t0 <= t < t1]
        dp = s1["packets_played"] - s0["packets_played"]
        waited = (s1["jitter_buffer_delay_sum_ms"] - s0["jitter_buffer_delay_sum_ms"]) / dp if dp else float("nan")
        page_delay, page_conceal, page_series = page_stats(reports, t0, t1)
        row = {"packet_to_ear_p50_ms": _report.percentile(wire, 50),
               "packet_to_ear_p99_ms": _report.percentile(wire, 99),
               "mouth_to_ear_p50_ms": _report.percentile(vals, 50),
               "mouth_to_ear_p99_ms": _report.percentile(vals, 99), "onsets": len(vals),
               "our_jitter_buffer_ms": waited, "our_playout_delay_ms": float(np.mean(jb)) if jb else float("nan"),
               "our_concealment": plc / (played + plc) if played + plc > 0 else float("nan"),
               "chromium_jitter_buffer_ms": page_delay, "chromium_concealment": page_conceal}
        if name == "clean":
            clean_lat, clean_page = row["mouth_to_ear_p50_ms"], page_delay
        row["series"] = {"mouth_to_ear_ms": [(round(t - t0, 2), round(v, 1)) for t, v in lat],
                         "our_delay_target_ms": [(round(t - t0, 2), v, g) for t, v, g in our_delay
                                                 if t0 <= t < t1][::5],
                         "chromium_delay_ms": [(round(t - t0, 2), round(v, 1)) for t, v in page_series]}
        if name.startswith(("stall", "burst")):
            row["our_recovery_s"] = recovery_s(lat, clean_lat + 10, t0)
            row["chromium_recovery_s"] = recovery_s(page_series, clean_page + 10, t0)
        rows[name] = row
    return {"phase_s": args.phase, "packet_ms": args.packet_ms, "phases": rows}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--phase", type=float, default=15.0, help="seconds per phase")
    p.add_argument("--quick", action="store_true", help="4 s phases")
    p.add_argument("--packet-ms", type=int, default=20, choices=(10, 20),
                   help="the talker's Opus packet duration")
    args = p.parse_args(argv)
    if args.quick:
        args.phase = 4.0
    if os.environ.get(_IN_NETNS_ENV) != "1":
        env = dict(os.environ, **{_IN_NETNS_ENV: "1"})
        return subprocess.call(["unshare", "--net", "--", sys.executable, os.path.abspath(__file__)]
                               + argv, env=env)
    result = run(args)
    cols = ["phase", "pkt->ear p50", "pkt->ear p99", "m2e p50", "m2e p99", "our playout ms", "our jb ms", "chromium jb ms", "jb ratio",
            "our conceal", "chromium conceal", "our recovery s", "chromium recovery s"]
    table = []
    for name, r in result["phases"].items():
        ratio = r["our_jitter_buffer_ms"] / r["chromium_jitter_buffer_ms"] \
            if r["chromium_jitter_buffer_ms"] else float("nan")
        r["jitter_buffer_ratio"] = ratio
        table.append([name, r["packet_to_ear_p50_ms"], r["packet_to_ear_p99_ms"],
                      r["mouth_to_ear_p50_ms"], r["mouth_to_ear_p99_ms"],
                      r["our_playout_delay_ms"], r["our_jitter_buffer_ms"], r["chromium_jitter_buffer_ms"], ratio,
                      r["our_concealment"], r["chromium_concealment"],
                      r.get("our_recovery_s", "-"), r.get("chromium_recovery_s", "-")])
    _report.print_table(f"impaired paths, {result['phase_s']:.0f} s per phase, "
                        f"{result['packet_ms']} ms packets (us: agent via rtp_forward; "
                        f"Chromium: janus.js subscriber, same packets)", cols, table)
    path = _report.save("impairment" + ("_quick" if args.quick else ""), result)
    print(f"\nsaved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
