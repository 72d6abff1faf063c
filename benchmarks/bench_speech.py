"""Speech models (agora_rtc[speech]): CPU per second of audio, and stop-word listeners per process.

1. CPU seconds per second of audio (real time = 1.0; lower is better) of
   PocketSphinx speech to text (``stt``), keyphrase spotting (stop words,
   ``StopWordDetector`` with two phrases), the fuzzy transcript mode, and of
   the TTS engines (CPU of the flite / espeak-ng child processes per second
   of speech made). Corpus: 5 sentences x 3 flite voices, + espeak-ng.
2. Concurrent stop-word listeners in one process: N agent connections, each
   a ReplyOnStopWords hearing its own caller on the local network; every
   caller says sentences without the wake phrase (each + 1 s of silence), 3
   in a row, the callers' starts spread evenly over one sentence's length
   (so turns end at different moments, as in real calls). Measured: turns decided (each must be "ignored"), the decision
   latency (VAD end of turn -> decision) p50 / p95, CPU cores used, RSS.
   Two set-ups: a detector per listener (28 MB of PocketSphinx model each),
   and one StopWordDetector shared by all (``detector=``; its decoder is
   used under a lock); baseline: the same with plain ReplyOnPause (decision =
   the reply starts), what the per-frame Python work alone costs. A count
   "holds" when every turn was decided, no frame was dropped and p95 stays
   under 1 s. Each count runs in a fresh process.

Run:  python benchmarks/bench_speech.py [--quick]
Results: benchmarks/results/speech.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import percentile, print_table, save  # noqa: E402

import agora_rtc as ar  # noqa: E402
from agora_rtc.agent import ReplyOnPause, ReplyOnStopWords, StopWordDetector, TTSOptions, get_stt_model, get_tts_model  # noqa: E402

SENTENCES = ["What is the weather like in Paris today?", "Please tell me the time.",
             "Book a table for two people at seven tonight.", "Turn off the lights in the kitchen.",
             "How far is the moon from the earth?"]
STOP_WORDS = ["ok computer", "hello iris"]


def cpu_per_audio_second(fn, corpus, repeats):
    cpu = audio = 0.0
    for _ in range(repeats):
        for rate, arr in corpus:
            t = time.process_time()
            fn((rate, arr))
            cpu += time.process_time() - t
            audio += arr.shape[1] / rate
    return cpu / audio, audio


def tts_cost(model, voice, repeats):
    tts = get_tts_model(model)
    before = os.times()
    audio = 0.0
    wall = time.perf_counter()
    for _ in range(repeats):
        for s in SENTENCES:
            rate, arr = tts.tts(s, TTSOptions(voice=voice))
            audio += arr.shape[1] / rate
    after = os.times()
    child = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return child / audio, (time.perf_counter() - wall) / audio, audio


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def listeners(n, mode, speech, rounds):
    """N agents, each with its caller, all talking at once: ReplyOnStopWords with a
    detector of its own ("own") or one shared ("shared"), or the baseline ("none"): a
    ReplyOnPause whose reply yields nothing (the per-frame cost without stop words)."""
    rss0 = rss_mb()
    t_setup = time.perf_counter()
    det = StopWordDetector(STOP_WORDS) if mode == "shared" else None
    calls = []
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="bench-speech"))
    handlers, callers, agents = [], [], []
    try:
        for i in range(n):
            agent = svc.create_rtc_connection(ar.RTCConnConfig())
            caller = svc.create_rtc_connection(ar.RTCConnConfig())
            agent.connect("", f"sw-{i}", "agent")
            caller.connect("", f"sw-{i}", "caller")
            agent.publish_audio()
            caller.publish_audio()
            if mode == "none":
                h = ReplyOnPause(lambda audio: iter(()), input_sample_rate=16000, can_interrupt=False)
            else:
                kw = {"detector": det} if mode == "shared" else {"stop_words": STOP_WORDS}
                h = ReplyOnStopWords(lambda audio: calls.append(1) or iter(()), input_sample_rate=16000,
                                     can_interrupt=False, **kw)
            handlers.append(h.start(agent))
            callers.append(caller)
            agents.append(agent)
        setup_s = time.perf_counter() - t_setup
        rss1 = rss_mb()
        decided_kind = "reply_started" if mode == "none" else "ignored"
        cpu0, wall0 = time.process_time(), time.perf_counter()
        # every caller talks the whole time, their turns spread evenly over a sentence's length
        talk = np.concatenate([speech[r % len(speech)] for r in range(rounds)])
        period = speech[0].size
        for i, c in enumerate(callers):
            lead = np.zeros(int(period * i / n), np.int16)
            c.push_audio_pcm_data(np.concatenate([lead, talk]), 16000, 1)
        audio_s = talk.size / 16000
        for c in callers:
            c.wait_push_completed(120)
        # every turn decided (or 30 s more)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(len(h.events(decided_kind)) >= len(h.events("utterance")) > 0 for h in handlers):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        lat, utts, decided = [], 0, 0
        for h in handlers:
            at = {e.reply_id: e.at for e in h.events("utterance")}
            utts += len(at)
            for e in h.events(decided_kind):
                if e.reply_id in at:
                    decided += 1
                    lat.append((e.at - at[e.reply_id]) * 1000.0)
        dropped = sum((a.get_audio_delivery_stats() or {}).get("dropped", 0) for a in agents)
    finally:
        for h in handlers:
            h.stop()
        svc.release()
    return {"listeners": n, "detector": mode, "setup_s": setup_s,
            "rss_mb_per_listener": (rss1 - rss0) / n, "turns": utts, "decided": decided,
            "replies_wrongly_called": len(calls), "latency_p50_ms": percentile(lat, 50),
            "latency_p95_ms": percentile(lat, 95), "latency_max_ms": max(lat) if lat else float("nan"),
            "cpu_cores": cpu / wall, "audio_s_per_listener": audio_s, "frames_dropped": dropped,
            "holds": decided == utts and dropped == 0 and percentile(lat, 95) < 1000.0}


def caller_speech():
    tts = get_tts_model("flite")
    speech = []
    for s in SENTENCES[:3]:
        rate, arr = tts.tts(s, TTSOptions(voice="rms"))
        speech.append(np.concatenate([arr[0], np.zeros(rate, np.int16)]))
    return speech


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", nargs=3, metavar=("N", "none|own|shared", "ROUNDS"),
                    help="(internal) one listener run in this process, printed as JSON")
    args = ap.parse_args()
    if args.one:
        n, mode, rounds = int(args.one[0]), args.one[1], int(args.one[2])
        print(json.dumps(listeners(n, mode, caller_speech(), rounds)))
        return 0
    repeats = 1 if args.quick else 3
    print(f"load average at start: {os.getloadavg()} on {os.cpu_count()} CPUs "
          "(a shared machine: other jobs may run; CPU seconds are this process's own)")
    tts = get_tts_model("flite")
    corpus = [tts.tts(s, TTSOptions(voice=v)) for v in ("slt", "rms", "kal16") for s in SENTENCES]
    espeak = [get_tts_model("espeak-ng").tts(s) for s in SENTENCES]
    stt = get_stt_model()
    spot = StopWordDetector(STOP_WORDS)
    fuzzy = StopWordDetector(STOP_WORDS, fuzzy=True)
    rows = []
    for name, fn, data in [("stt (pocketsphinx), flite 16 kHz", stt.stt, corpus),
                           ("stt (pocketsphinx), espeak-ng 22.05 kHz", stt.stt, espeak),
                           ("stop words: keyphrase search", spot.find, corpus),
                           ("stop words: keyphrase + fuzzy transcript", fuzzy.find, corpus)]:
        rtf, secs = cpu_per_audio_second(fn, data, repeats)
        rows.append({"what": name, "cpu_s_per_audio_s": rtf, "audio_s": secs})
    for model, voice in (("flite", "slt"), ("espeak-ng", None)):
        child, wall, secs = tts_cost(model, voice, repeats)
        rows.append({"what": f"tts ({model}), child CPU", "cpu_s_per_audio_s": child, "audio_s": secs,
                     "wall_s_per_audio_s": wall})
    print_table("CPU seconds per second of audio (real time = 1.0)", ["what", "cpu s / audio s", "audio s"],
                [[r["what"], r["cpu_s_per_audio_s"], r["audio_s"]] for r in rows])

    rounds = 2 if args.quick else 3
    runs = [("none", (25,) if args.quick else (25, 50, 100)),
            ("own", (10, 25) if args.quick else (10, 25, 50)),
            ("shared", (10, 25) if args.quick else (10, 25, 40, 50, 100))]
    scale = []
    for mode, counts in runs:
        for n in counts:
            # each count in a process of its own: RSS and threads start from the same place
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", str(n), mode, str(rounds)],
                                 capture_output=True, text=True, check=True).stdout
            res = json.loads(out.strip().splitlines()[-1])
            scale.append(res)
            print(f"  {n} listeners, {res['detector']} detector: decided {res['decided']}/{res['turns']}, "
                  f"p95 {res['latency_p95_ms']:.0f} ms, {res['cpu_cores']:.2f} cores", flush=True)
    print_table(f"Concurrent stop-word listeners (each: {rounds} sentences without the wake phrase)",
                ["listeners", "detector", "decided/turns", "p50 ms", "p95 ms", "max ms", "CPU cores",
                 "RSS MB/listener", "dropped frames", "holds"],
                [[r["listeners"], r["detector"], f"{r['decided']}/{r['turns']}", r["latency_p50_ms"],
                  r["latency_p95_ms"], r["latency_max_ms"], r["cpu_cores"], r["rss_mb_per_listener"],
                  r["frames_dropped"], r["holds"]] for r in scale])
    save("speech", {"cpu_per_audio_second": rows, "listeners": scale,
                    "load_average_at_start": os.getloadavg(),
                    "note": "machine shared with other jobs (load average above); one process"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
