"""Concurrent G.711 phone calls in one process, driven by SIPp with real RTP.

SIPp (Debian ``sip-tester``) places N calls at ``--rate`` calls a second, at most N at a
time; each call is INVITE with a PCMA offer, 200, ACK, then SIPp plays the RTP of the
PCMA recording it ships (``g711a.pcap``: 236 packets of 30 ms, 7.05 s) with
``play_pcap_audio``, pauses until the audio is over plus half a second, and sends BYE.
Ours: one ``sip://`` service, N agent connections in N channels (one call per connection:
the request-URI user names the channel), each listening with VAD on and every 10 ms frame
to Python (``dispatch="queued"``). Per call the benchmark counts
  * missing frames: 708 expected (236 x 30 ms) minus the frames the observer received,
  * late frames: frame k received more than ``--late-ms`` after its slot, where the slots
    are 10 ms apart from the earliest anchor the call's frames allow (the best cadence
    that call had),
and SIPp measures each call's set-up time (INVITE sent -> 200 OK received).
The baseline, in the same run: SIPp's built-in answerer (``-sn uas``) taking the same N
calls with the same RTP played at it (a SIP answerer that does nothing with the media):
set-up times side by side, the ratio of the means.

Prints a table, saves benchmarks/results/sip_calls.json.

Run:  python benchmarks/bench_sip_calls.py [--calls 50,100] [--rate 50] [--late-ms 20]
"""
from __future__ import annotations

import argparse
import csv
import glob
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import print_table, save  # noqa: E402
from bench_sip import free_udp_port, summary  # noqa: E402

import agora_rtc as ar  # noqa: E402

SIPP_PCAP = "/usr/share/sip-tester/g711a.pcap"
PACKET_MS = 20
RATE = 16000

SCENARIO = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="g711-call">
  <send retrans="500" start_rtd="setup">
    <![CDATA[
      INVITE sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:caller[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true" rtd="setup"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:caller[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <nop>
    <action>
      <exec play_pcap_audio="PCAP_PATH"/>
    </action>
  </nop>
  <pause milliseconds="PAUSE_MS"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:caller[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""


class CallFrames(ar.IAudioFrameObserver):
    """One observer for every connection: receipt times (monotonic ns) and VAD
    speech frames per channel (one call per channel)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = {}
        self.speech = {}
        self.states = {}
        self.peak = 0

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad,
                                              _now=time.monotonic_ns):
        now = _now()
        pcm = np.frombuffer(frame.buffer, dtype=np.int16)
        peak = int(np.abs(pcm).max()) if pcm.size else 0
        with self.lock:
            self.peak = max(self.peak, peak)
            self.times.setdefault(channel_id, []).append(now)
            self.states[state] = self.states.get(state, 0) + 1
            if state in (1, 2, 3):
                self.speech[channel_id] = self.speech.get(channel_id, 0) + 1
        return 1


def _records(data: bytes):
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        yield data[off + 16: off + 16 + incl]
        off += 16 + incl


def _ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def repacketize_pcap(src: str, dst: str) -> int:
    """SIPp's g711a.pcap carries 30 ms packets, which our receive path does not take
    yet (G.711 packets of at most 20 ms; see docs/SIP.md): the same A-law bytes, in
    20 ms packets (160 bytes, RTP timestamp +160, 20 ms apart) into a pcap SIPp plays.
    Returns the number of packets."""
    with open(src, "rb") as f:
        data = f.read()
    packets = list(_records(data))
    first = packets[0]
    eth_ip_udp, rtp_header = first[:42], first[42:54]
    alaw = b"".join(p[54:] for p in packets)
    n = len(alaw) // 160
    out = [data[:24]]
    ssrc = rtp_header[8:12]
    for k in range(n):
        payload = struct.pack("!BBHI", 0x80, 8, k, k * 160) + ssrc + alaw[k * 160:(k + 1) * 160]
        ip = bytearray(eth_ip_udp[14:34])
        struct.pack_into("!H", ip, 2, 20 + 8 + len(payload))
        struct.pack_into("!H", ip, 10, 0)
        struct.pack_into("!H", ip, 10, _ip_checksum(bytes(ip)))
        udp = bytearray(eth_ip_udp[34:42])
        struct.pack_into("!HH", udp, 4, 8 + len(payload), 0)
        frame = eth_ip_udp[:14] + bytes(ip) + bytes(udp) + payload
        t_us = k * PACKET_MS * 1000
        out.append(struct.pack("<IIII", 1 + t_us // 1_000_000, t_us % 1_000_000, len(frame), len(frame)))
        out.append(frame)
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return n


def lateness_ms(times_ns: list) -> np.ndarray:
    """How long after its 10 ms slot each frame arrived; the slots start at the
    earliest anchor the frames allow (min over k of t_k - k x 10 ms)."""
    t = np.asarray(times_ns, dtype=np.float64) / 1e6
    late = t - np.arange(t.size) * 10.0
    return late - float(np.min(late))


def max_concurrent(spans: list) -> int:
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    cur = best = 0
    for _, d in edges:
        cur += d
        best = max(best, cur)
    return best


def run_uac(target_port: int, n: int, rate: int, workdir: str, name: str, pcap: str,
            packets: int) -> list:
    """SIPp places n calls (channels ch0..ch<n-1>) at `rate` a second, all at once at
    most; returns the set-up times in ms."""
    run_dir = os.path.join(workdir, name)
    os.makedirs(run_dir, exist_ok=True)
    scenario = os.path.join(run_dir, "call.xml")
    with open(scenario, "w") as f:
        f.write(SCENARIO.replace("PCAP_PATH", pcap)
                .replace("PAUSE_MS", str(packets * PACKET_MS + 500)))
    channels = os.path.join(run_dir, "channels.csv")
    with open(channels, "w") as f:
        f.write("SEQUENTIAL\n" + "".join(f"ch{i}\n" for i in range(n)))
    cmd = ["sipp", f"127.0.0.1:{target_port}", "-sf", scenario, "-inf", channels,
           "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", "0", "-m", str(n), "-l", str(n),
           "-r", str(rate), "-nostdin", "-timeout", "120s", "-timeout_error",
           "-trace_rtt", "-rtt_freq", "1"]
    proc = subprocess.run(cmd, cwd=run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=180)
    if proc.returncode != 0:
        raise RuntimeError(f"SIPp against {name} failed ({proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace')[-1000:]}")
    times = []
    for path in glob.glob(os.path.join(run_dir, "*_rtt.csv")):
        with open(path) as f:
            for row in csv.reader(f, delimiter=";"):
                if len(row) >= 2 and row[1].replace(".", "", 1).isdigit():
                    times.append(float(row[1]))
    if len(times) != n:
        raise RuntimeError(f"{name}: {len(times)} set-up times for {n} calls")
    return times


def baseline(n: int, rate: int, work: str, pcap: str, packets: int) -> dict:
    port = free_udp_port()
    uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-mi", "127.0.0.1",
                            "-p", str(port), "-nostdin"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        return summary(run_uac(port, n, rate, work, f"uas{n}", pcap, packets))
    finally:
        uas.send_signal(signal.SIGTERM)
        try:
            uas.wait(timeout=10)
        except subprocess.TimeoutExpired:
            uas.kill()
            uas.wait()


def ours(n: int, rate: int, work: str, late_ms: float, pcap: str, packets: int) -> dict:
    expected = packets * PACKET_MS // 10
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="bench-sip-calls",
                                                transport_url="sip://127.0.0.1:0"))
    obs = CallFrames()
    conns = []
    try:
        for i in range(n):
            c = svc.create_rtc_connection(ar.RTCConnConfig())
            c.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, RATE)
            if c.register_audio_frame_observer(obs, enable_vad=1, vad_configure=ar.AudioVadConfigV2(),
                                               dispatch="queued") != 0:
                raise RuntimeError("register_audio_frame_observer failed")
            if c.connect("", f"ch{i}", "bot") != 0:
                raise RuntimeError(f"connect ch{i} failed")
            c.publish_audio()
            conns.append(c)
        cpu0, t0 = time.process_time(), time.monotonic()
        setup = summary(run_uac(svc.sip.port, n, rate, work, f"agent{n}", pcap, packets))
        cpu_pct = 100.0 * (time.process_time() - cpu0) / (time.monotonic() - t0)
        time.sleep(0.5)  # the dispatcher's last backlog
        with obs.lock:
            times = {k: list(v) for k, v in obs.times.items()}
            speech = dict(obs.speech)
            states = dict(obs.states)
            peak = obs.peak
    finally:
        for c in conns:
            c.release()
        svc.release()
    per_call = []
    for i in range(n):
        t = times.get(f"ch{i}", [])
        per_call.append({"received": len(t), "missing": max(0, expected - len(t)),
                         "lateness": lateness_ms(t) if t else np.zeros(0),
                         "speech_frames": speech.get(f"ch{i}", 0),
                         "span": (t[0], t[-1]) if t else None})
    for c in per_call:
        c["late"] = int(np.count_nonzero(c["lateness"] > late_ms))
    lateness = np.concatenate([c["lateness"] for c in per_call])
    spans = [c["span"] for c in per_call if c["span"]]
    return {"setup": setup, "cpu_pct": cpu_pct,
            "calls_with_audio": len(spans), "max_concurrent": max_concurrent(spans),
            "frames_expected": n * expected,
            "frames_received": sum(c["received"] for c in per_call),
            "missing": sum(c["missing"] for c in per_call),
            "late": sum(c["late"] for c in per_call),
            "lateness_p99_ms": float(np.percentile(lateness, 99)) if lateness.size else None,
            "lateness_max_ms": float(lateness.max()) if lateness.size else None,
            "calls_missing_frames": sum(1 for c in per_call if c["missing"]),
            "calls_late_frames": sum(1 for c in per_call if c["late"]),
            "speech_frames": sum(c["speech_frames"] for c in per_call), "vad_states": states,
            "peak_sample": peak}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="50,100", help="comma-separated call counts")
    parser.add_argument("--rate", type=int, default=50, help="calls started per second at most")
    parser.add_argument("--late-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    if shutil.which("sipp") is None or not os.path.exists(SIPP_PCAP):
        print("SIPp (Debian sip-tester, with its g711a.pcap) is not installed", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="bench_sip_calls_")
    pcap = os.path.join(work, "pcma_20ms.pcap")
    packets = repacketize_pcap(SIPP_PCAP, pcap)
    rows = []
    try:
        for n in [int(x) for x in args.calls.split(",")]:
            base = baseline(n, args.rate, work, pcap, packets)
            r = ours(n, args.rate, work, args.late_ms, pcap, packets)
            s = r["setup"]
            rows.append({
                "calls": n, "concurrent": r["max_concurrent"], "with_audio": r["calls_with_audio"],
                "frames": f"{r['frames_received']}/{r['frames_expected']}",
                "missing": r["missing"], "late": r["late"],
                "late_p99_ms": round(r["lateness_p99_ms"], 1), "late_max_ms": round(r["lateness_max_ms"], 1),
                "calls_missing": r["calls_missing_frames"], "calls_late": r["calls_late_frames"],
                "vad_speech_frames": r["speech_frames"], "cpu_pct": round(r["cpu_pct"], 1),
                "setup_mean_ms": round(s["mean_ms"], 2), "setup_p99_ms": round(s["p99_ms"], 2),
                "sipp_uas_mean_ms": round(base["mean_ms"], 2), "sipp_uas_p99_ms": round(base["p99_ms"], 2),
                "setup_ratio": round(s["mean_ms"] / base["mean_ms"], 2) if base["mean_ms"] > 0 else "n/a",
                "detail": r, "baseline": base})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    title = (f"Concurrent G.711 (PCMA) calls from SIPp with RTP, {packets * PACKET_MS // 10} frames per call, "
             f"every frame to Python with VAD; late = > {args.late_ms:.0f} ms after its slot "
             f"(load average {load:.1f}; SIPp measures whole ms)")
    cols = ["calls", "concurrent", "frames", "missing", "late", "late_p99_ms", "late_max_ms",
            "calls_missing", "calls_late",
            "cpu_pct", "setup_mean_ms", "setup_p99_ms", "sipp_uas_mean_ms", "sipp_uas_p99_ms",
            "setup_ratio"]
    print_table(title, cols, [[r[c] for c in cols] for r in rows])
    save("sip_calls", {"rate": args.rate, "late_ms": args.late_ms, "load_average_1min": load,
                            "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
