"""Per-frame dispatch benchmark ("Callback dispatch at scale", part a).

What one 10 ms frame costs on its way from the native engine into a Python
observer, and how late it gets there, for

* ours, dispatch="direct": the engine's delivery thread takes the GIL per frame;
* ours, dispatch="queued": frames go into a native queue without the GIL and a
  Python dispatcher thread drains the backlog per GIL acquisition;
* baseline, the way the original Agora Python SDK dispatches: a native thread
  calls a ctypes CFUNCTYPE callback per frame; the Python side decodes the ids,
  copies the PCM with ctypes.string_at, builds a plain attribute frame object
  and calls the user's observer. The native side is a small C file written and
  compiled (gcc -O2 -shared -fPIC) at run time: one pthread that every 10 ms,
  for N streams, fills a 320-byte frame and calls the registered callback with
  (channel_id, user_id, buffer, length, timestamp_us), the timestamp being the
  tick's deadline on CLOCK_MONOTONIC.

Every configuration runs N streams (default 200) for a warm-up then a window
(default 10 s), idle and with a GIL-hogging pure-Python thread. The observer is
the same for all: it takes ``time.monotonic_ns() // 1000`` on entry and
records ``now - frame.send_time_us`` (native timestamp to Python receipt) for
the frames it receives during the window; "delivered %" is the share of the
frames stamped inside the window that reached Python by 0.5 s after it.

CPU is read per thread (CLOCK_THREAD_CPUTIME of every task in /proc/self/task:
the engine threads are named agora-clock / agora-io / agora-delivery, the
baseline's thread ctypes-src) and for the whole process (time.process_time):

* dispatch CPU/frame: the threads that move a frame into Python, divided by the
  frames the observer got in the window. Ours direct: agora-delivery (C copy +
  GIL + trampoline + observer). Ours queued: agora-delivery (nothing since
  session 4: the receive threads copy each frame into the queue themselves, which
  shows in "rx path" and "process" instead, about +0.5 us) + agora_rtc-dispatch
  (the Python drain loop + observer). Baseline:
  ctypes-src minus the same thread's CPU with no callback registered (the fill).
  These threads hold the GIL for nearly all of their CPU time, so this is also
  the GIL hold per frame (upper bound).
* minus observer: the same without the user observer's own CPU (the
  function every configuration calls, timed in a loop beforehand), i.e. what
  the SDK itself spends per frame.
* process CPU/frame: process CPU minus an idle run of the same set-up with no
  audio observer, divided by frames. For ours this also contains the C receive
  path the engine runs per frame once someone listens (resample + labels, on
  agora-io), shown separately as "rx path CPU/frame"; the baseline has none.
* hog kept: with the hog running, the hog's loop rate as a share of its rate
  when it runs alone: how much interpreter time the dispatch takes from the
  application's own Python threads.
* others CPU %: what other processes used during the window (% of one core).
  This machine is shared; each run first waits (up to 60 s) for a quiet spell.

Run: python benchmarks/bench_dispatch.py [--streams 200] [--window 10] [--vad]
"""
from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from array import array

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402

import agora_rtc as ar  # noqa: E402

RATE = 16000
FRAME_SAMPLES = 160
FRAME_BYTES = 320
RETRY_IF_OTHERS_PCT = 50.0
ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "assets")


# ---------------------------------------------------------------------------
# measurement helpers (shared with bench_scale.py and soak.py)


def now_us() -> int:
    return time.monotonic_ns() // 1000


def _thread_clock_id(tid: int) -> int:
    # The kernel's CPU-clock id of one thread (what pthread_getcpuclockid
    # returns for it): CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED on ~tid.
    return ((~tid) << 3) | 6


def thread_names() -> dict:
    """tid -> name: the kernel comm name for native threads, the threading
    name for Python threads (CPython 3.11 does not set comm), 'main'. A native
    thread that ran Python code which asked for its thread (logging does) is a
    "Dummy-N" to threading: it keeps its comm name (agora-delivery)."""
    py = {t.native_id: t.name for t in threading.enumerate()
          if not isinstance(t, threading._DummyThread)}
    py[threading.main_thread().native_id] = "main"
    out = {}
    for entry in os.listdir("/proc/self/task"):
        tid = int(entry)
        if tid in py:
            out[tid] = py[tid]
            continue
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                out[tid] = f.read().strip()
        except OSError:
            pass
    return out


class CpuSnapshot:
    """Process CPU, per-thread CPU and wall time at one instant."""

    def __init__(self):
        self.wall = time.monotonic()
        self.proc = time.process_time()
        self.threads = {}
        for tid, name in thread_names().items():
            try:
                self.threads[tid] = (name, time.clock_gettime(_thread_clock_id(tid)))
            except OSError:
                pass

    def delta(self, later: "CpuSnapshot") -> dict:
        """{'wall': s, 'process': s, 'threads': {name: s}} between two snapshots
        (threads of the same name are summed; a thread born in between counts from 0)."""
        per = {}
        for tid, (name, t1) in later.threads.items():
            t0 = self.threads.get(tid, (name, 0.0))[1]
            per[name] = per.get(name, 0.0) + (t1 - t0)
        return {"wall": later.wall - self.wall, "process": later.proc - self.proc, "threads": per}


def _cpu_busy_s() -> float:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


class MachineLoad:
    """CPU that everything else on the machine used since construction (% of
    one core): the machine is shared, and a busy neighbour on 2 cores shows up
    as latency here."""

    def __init__(self):
        self.busy0, self.proc0, self.t0 = _cpu_busy_s(), time.process_time(), time.monotonic()

    def others_pct(self) -> float:
        busy, proc, t = _cpu_busy_s(), time.process_time(), time.monotonic()
        return 100.0 * max(0.0, (busy - self.busy0) - (proc - self.proc0)) / max(1e-9, t - self.t0)


def wait_quiet(max_wait: float = 60.0, threshold_pct: float = 35.0, verbose: bool = True) -> float:
    """Wait (at most max_wait s) until other processes use less than
    threshold_pct of one core over a 1 s sample; returns the last sample."""
    deadline = time.monotonic() + max_wait
    t = time.monotonic()
    while True:
        m = MachineLoad()
        time.sleep(1.0)
        load = m.others_pct()
        if load < threshold_pct or time.monotonic() >= deadline:
            if verbose and time.monotonic() - t > 1.5:
                print(f"  (waited {time.monotonic() - t:.0f} s for other processes to calm down: "
                      f"now {load:.0f}% of a core)", flush=True)
            return load


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def speech_signal(seconds: float, seed: int = 1) -> np.ndarray:
    """A long 16 kHz mono int16 speech-like signal: the example WAVs (speech
    with pauses) in a loop with gaps of low noise between them."""
    parts = []
    rng = np.random.default_rng(seed)
    for name, gap in (("caller_question.wav", 0.6), ("agent_answer.wav", 0.9), ("caller_barge_in.wav", 1.3)):
        with wave.open(os.path.join(ASSETS, name)) as w:
            assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
            parts.append(np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16))
        parts.append(np.zeros(int(gap * RATE), dtype=np.int16))
    base = np.concatenate(parts)
    reps = int(np.ceil(seconds * RATE / base.size))
    x = np.tile(base, reps)[: int(seconds * RATE)].astype(np.int32)
    x += rng.integers(-40, 41, x.size)
    return np.clip(x, -32768, 32767).astype(np.int16)


class GilHog:
    """A pure-Python busy loop in a thread (holds the GIL except when the
    interpreter's 5 ms switch interval makes it drop it). Counts its loops."""

    def __init__(self):
        self.stop = False
        self.loops = 0
        self.t_start = self.t_end = 0.0
        self.thread = threading.Thread(target=self._run, name="gil-hog", daemon=True)

    def _run(self):
        n = 0
        self.t_start = time.perf_counter()
        while not self.stop:
            x = sum(range(1000))  # noqa: F841
            n += 1
            self.loops = n
        self.t_end = time.perf_counter()

    def start(self):
        self.thread.start()
        return self

    def finish(self):
        self.stop = True
        self.thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.finish()


class NullCtx:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def hog_rate_alone(seconds: float = 2.0) -> float:
    """Loops per second of the hog with nothing else running."""
    h = GilHog().start()
    time.sleep(0.3)
    n0, t0 = h.loops, time.perf_counter()
    time.sleep(seconds)
    n1, t1 = h.loops, time.perf_counter()
    h.finish()
    return (n1 - n0) / (t1 - t0)


class LatencyObserver(ar.IAudioFrameObserver):
    """The user observer of every configuration: stamps receipt on entry and
    records native-timestamp-to-receipt delay (us) of the frames it receives
    in the window [t0_us, t1_us) (``lat``); counts every frame (``count``)
    and the frames whose timestamp lies in the window (``sent_in_window``,
    to compare with what the window should have carried); with ``track``,
    keeps the send times of that one user (sender-side pacing check)."""

    def __init__(self, track: str = ""):
        self.count = 0
        self.sent_in_window = 0
        self.t0_us = 1 << 62
        self.t1_us = 1 << 62
        self.lat = array("q")
        self.track = track
        self.track_sends = array("q")
        self.active = True

    def set_window(self, t0_us: int, t1_us: int):
        self.t1_us = t1_us
        self.t0_us = t0_us

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad,
                                              _now=time.monotonic_ns):
        now = _now() // 1000
        if not self.active:
            return
        self.count += 1
        s = frame.send_time_us
        if self.t0_us <= s < self.t1_us:
            self.sent_in_window += 1
        if self.t0_us <= now < self.t1_us:
            self.lat.append(now - s)
            if uid == self.track:
                self.track_sends.append(s)


def latency_stats(lat) -> dict:
    if not len(lat):
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "p999_ms": float("nan"), "max_ms": float("nan")}
    a = np.frombuffer(lat, dtype=np.int64) if isinstance(lat, array) else np.asarray(lat, dtype=np.int64)
    q = np.percentile(a, [50, 99, 99.9], method="nearest") / 1000.0
    return {"p50_ms": float(q[0]), "p99_ms": float(q[1]), "p999_ms": float(q[2]), "max_ms": float(a.max() / 1000.0)}


def tx_jitter_p99_ms(sends) -> float:
    """p99 of |interval - 10 ms| of one sender's send_time_us (sender-side pacing sanity)."""
    s = np.frombuffer(sends, dtype=np.int64) if isinstance(sends, array) else np.asarray(sends)
    if s.size < 3:
        return float("nan")
    return float(np.percentile(np.abs(np.diff(s) - 10_000), 99) / 1000.0)


# ---------------------------------------------------------------------------
# the Agora-style ctypes baseline

BASELINE_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* what the original SDK's native side does from Python's point of view: one
 * native thread delivers every user's 10 ms frame by calling a registered
 * function pointer, synchronously, in a loop paced by a 10 ms clock */
typedef void (*frame_cb)(const char *channel_id, const char *user_id, const void *buf, int length,
                         long long timestamp_us);

static frame_cb g_cb;
static int g_n;
static long long g_ticks;
static const int16_t *g_src;
static long long g_src_len;
static int16_t *g_frames;
static char (*g_uids)[32];
static atomic_int g_stop;
static atomic_llong g_done_ticks, g_calls;
static long long g_start_ns;
static pthread_t g_thread;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *run(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "ctypes-src");
    int64_t next = g_start_ns;
    for (long long t = 0; t < g_ticks && !atomic_load(&g_stop); t++) {
        struct timespec ts = {(time_t)(next / 1000000000LL), (long)(next % 1000000000LL)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
        /* every frame of this tick carries the tick's deadline: when it was due */
        long long stamp = next / 1000;
        for (int i = 0; i < g_n && !atomic_load(&g_stop); i++) {
            int16_t *f = g_frames + (size_t)i * 160;
            long long off = ((long long)i * 1237 + t * 160) % (g_src_len - 160);
            memcpy(f, g_src + off, 320);          /* the "decoded" frame */
            if (g_cb) {
                g_cb("bench", g_uids[i], f, 320, stamp);
                atomic_fetch_add(&g_calls, 1);
            }
        }
        atomic_store(&g_done_ticks, t + 1);
        next += 10000000LL;
    }
    return NULL;
}

int src_start(frame_cb cb, int n, long long ticks, const int16_t *src, long long src_len)
{
    g_cb = cb;
    g_n = n;
    g_ticks = ticks;
    g_src = src;
    g_src_len = src_len;
    g_frames = calloc((size_t)n, 320);
    g_uids = calloc((size_t)n, sizeof(*g_uids));
    if (!g_frames || !g_uids)
        return -1;
    for (int i = 0; i < n; i++)
        snprintf(g_uids[i], sizeof(g_uids[i]), "u%d", i);
    atomic_store(&g_stop, 0);
    atomic_store(&g_done_ticks, 0);
    atomic_store(&g_calls, 0);
    g_start_ns = now_ns() + 10000000LL;
    return pthread_create(&g_thread, NULL, run, NULL);
}

long long src_start_ns(void) { return g_start_ns; }
long long src_done_ticks(void) { return atomic_load(&g_done_ticks); }
long long src_calls(void) { return atomic_load(&g_calls); }
void src_stop(void) { atomic_store(&g_stop, 1); }

int src_join(void)
{
    int rc = pthread_join(g_thread, NULL);
    free(g_frames);
    free(g_uids);
    g_frames = NULL;
    g_uids = NULL;
    return rc;
}
"""

FRAME_CB = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int,
                            ctypes.c_longlong)

_LIB = None


def baseline_lib():
    """Compile the baseline's native side into a temp dir and load it (once)."""
    global _LIB
    if _LIB is not None:
        return _LIB
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise RuntimeError("the ctypes baseline needs gcc")
    d = tempfile.mkdtemp(prefix="bench_dispatch_")
    src, so = os.path.join(d, "agora_style_src.c"), os.path.join(d, "libagora_style_src.so")
    with open(src, "w") as f:
        f.write(BASELINE_C)
    r = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-pthread", "-o", so, src], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"compiling the baseline failed:\n{r.stderr}")
    lib = ctypes.CDLL(so)  # CDLL: calls release the GIL, like the original SDK's
    lib.src_start.argtypes = [FRAME_CB, ctypes.c_int, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_longlong]
    lib.src_start.restype = ctypes.c_int
    for fn in ("src_start_ns", "src_done_ticks", "src_calls"):
        getattr(lib, fn).restype = ctypes.c_longlong
    lib.src_join.restype = ctypes.c_int
    _LIB = lib
    return lib


class AgoraStyleAudioFrame:
    """The original SDK's AudioFrame: a plain object of attributes, PCM as bytes."""

    def __init__(self, type=1, samples_per_channel=0, bytes_per_sample=2, channels=1, samples_per_sec=16000,
                 buffer=None, render_time_ms=0, avsync_type=0, far_field_flag=0, rms=0, voice_prob=0,
                 music_prob=0, pitch=0, send_time_us=0):
        self.type = type
        self.samples_per_channel = samples_per_channel
        self.bytes_per_sample = bytes_per_sample
        self.channels = channels
        self.samples_per_sec = samples_per_sec
        self.buffer = buffer
        self.render_time_ms = render_time_ms
        self.avsync_type = avsync_type
        self.far_field_flag = far_field_flag
        self.rms = rms
        self.voice_prob = voice_prob
        self.music_prob = music_prob
        self.pitch = pitch
        self.send_time_us = send_time_us


class AgoraStyleObserverInner:
    """What the original SDK's ctypes observer wrapper does per frame: decode
    the ids, copy the borrowed buffer with ctypes.string_at, build the frame
    object, call the user's observer."""

    def __init__(self, observer, local_user=None):
        self.observer = observer
        self.local_user = local_user
        self.cfunc = FRAME_CB(self._on_playback_audio_frame_before_mixing)

    def _on_playback_audio_frame_before_mixing(self, channel_id, user_id, buf, length, timestamp_us):
        channel_id_str = "" if channel_id is None else channel_id.decode("utf-8")
        user_id_str = user_id.decode("utf-8")
        frame = AgoraStyleAudioFrame(samples_per_channel=length // 2, buffer=ctypes.string_at(buf, length),
                                     render_time_ms=timestamp_us // 1000, send_time_us=timestamp_us)
        return self.observer.on_playback_audio_frame_before_mixing(self.local_user, channel_id_str, user_id_str,
                                                                   frame, -1, None)


class CtypesSource:
    """Drives the compiled baseline: N streams, ``ticks`` ticks, the callback
    (or none: the idle fill-only run)."""

    def __init__(self, n: int, ticks: int, observer=None, signal: np.ndarray | None = None):
        self.lib = baseline_lib()
        self.inner = AgoraStyleObserverInner(observer) if observer is not None else None
        self.signal = signal if signal is not None else speech_signal(15.0)
        self.n, self.ticks = n, ticks

    def start(self):
        cb = self.inner.cfunc if self.inner is not None else FRAME_CB()
        self._cb = cb
        rc = self.lib.src_start(cb, self.n, self.ticks, self.signal.ctypes.data, self.signal.size)
        if rc != 0:
            raise RuntimeError(f"src_start failed: {rc}")
        return self

    @property
    def start_us(self) -> int:
        return self.lib.src_start_ns() // 1000

    def done_ticks(self) -> int:
        return self.lib.src_done_ticks()

    def calls(self) -> int:
        return self.lib.src_calls()

    def stop(self):
        self.lib.src_stop()
        self.lib.src_join()   # releases the GIL while it waits


# ---------------------------------------------------------------------------
# our SDK on the local network


class EventCounter(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver):
    def __init__(self):
        self.cond = threading.Condition()
        self.connected = 0
        self.joined = 0

    def on_connected(self, conn, info, reason):
        with self.cond:
            self.connected += 1
            self.cond.notify_all()

    def on_user_joined(self, conn, uid):
        with self.cond:
            self.joined += 1
            self.cond.notify_all()

    def wait(self, pred, timeout=120.0, what="the engine"):
        with self.cond:
            if not self.cond.wait_for(pred, timeout):
                raise RuntimeError(f"benchmark: timed out waiting for {what}")


class LocalRig:
    """One service (prefill 0: every frame paced, no burst), one agent
    connection that listens, N sender connections ("remote users") in the same
    channel. Senders register no observers (joins stay O(N) Python calls)."""

    def __init__(self, n: int, channel: str = "bench"):
        self.svc = ar.AgoraService()
        self.svc.initialize(ar.AgoraServiceConfig(appid="bench", prefill_ms=0))
        self.n = n
        self.channel = channel
        self.events = EventCounter()
        self.agent = self.svc.create_rtc_connection(ar.RTCConnConfig())
        self.agent.register_observer(self.events)
        self.agent.register_local_user_observer(self.events)
        self.agent.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, RATE)
        assert self.agent.connect("", channel, "agent") == 0
        self.events.wait(lambda: self.events.connected == 1)
        self.senders = []
        t = time.monotonic()
        for i in range(n):
            cfg = ar.RTCConnConfig()
            cfg.auto_subscribe_audio = 0
            c = self.svc.create_rtc_connection(cfg)
            assert c.connect("", channel, f"u{i}") == 0
            assert c.publish_audio() == 0
            self.senders.append(c)
        self.events.wait(lambda: self.events.joined >= n, what=f"{n} users to join")
        self.join_s = time.monotonic() - t

    def listen(self, observer, **kw):
        return self.agent.register_audio_frame_observer(observer, **kw)

    def push_all(self, signal: np.ndarray, seconds: float) -> float:
        """Every sender pushes ``seconds`` of the signal from its own offset
        (zero-copy slices). Returns how long the pushes took."""
        n_samp = int(round(seconds * 100)) * FRAME_SAMPLES
        span = signal.size - n_samp
        assert span > 0, "signal too short"
        t = time.monotonic()
        for i, c in enumerate(self.senders):
            off = (i * 1237 * 7) % span
            assert c.push_audio_pcm_data(signal[off: off + n_samp], RATE, 1) == 0
        return time.monotonic() - t

    def sent_frames(self) -> int:
        return sum(c.get_send_stats()["sent_frames"] for c in self.senders)

    def release(self):
        self.svc.release()


class LiveFeeder:
    """Remote users that talk live: every sender gets one more second of the
    signal (from its own offset) once per second, against absolute deadlines,
    staying ``ahead`` seconds ahead of the media clock, as audio from a
    microphone or a streaming TTS arrives. The senders are spread over the
    second in ``SLOTS`` groups (remote users are not synchronised: one burst of
    thousands of pushes would stall the process for ~100 ms every second).
    ``total_s`` ends the talk after that many seconds per sender (the last
    chunk may be shorter); None loops the signal forever. The pushed audio in
    flight stays ~``ahead`` + 1 seconds per sender, recently written, instead
    of the whole run pushed up front (gigabytes at thousands of senders, every
    10 ms frame read cold from DRAM by the media clock: a cost of the
    benchmark, not of an agent)."""

    SLOTS = 50   # one group of senders every 20 ms

    def __init__(self, senders, signal: np.ndarray, total_s: float | None = None, ahead: int = 2):
        self.senders = senders
        self.total = None if total_s is None else int(round(total_s * 100)) * FRAME_SAMPLES
        self.ahead = ahead
        if self.total is None:
            self.period = signal.size
            self.sig = np.concatenate([signal, signal[:RATE]])
        else:
            self.period = signal.size - self.total
            assert self.period > 0, "signal too short"
            self.sig = signal
        self.offsets = [(i * 1237 * 7) % self.period for i in range(len(senders))]
        self.rounds = None if self.total is None else -(-self.total // RATE)  # seconds per sender
        self.round = 0       # the second being handed out
        self.errors = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, name="feeder", daemon=True)

    def _push(self, k: int, first: int, step: int):
        """Second k of senders first, first + step, ..."""
        a = k * RATE
        b = a + RATE if self.total is None else min(self.total, a + RATE)
        for i in range(first, len(self.senders), step):
            pos = self.offsets[i] + a if self.total is not None else (self.offsets[i] + a) % self.period
            if self.senders[i].push_audio_pcm_data(self.sig[pos: pos + (b - a)], RATE, 1) != 0:
                self.errors += 1

    def done(self) -> bool:
        return self.rounds is not None and self.round >= self.rounds

    def start(self) -> float:
        """Push the first ``ahead`` seconds to everyone, start the thread;
        returns the push time."""
        t = time.monotonic()
        while self.round < self.ahead and not self.done():
            self._push(self.round, 0, 1)
            self.round += 1
        self.thread.start()
        return time.monotonic() - t

    def _run(self):
        t0 = time.monotonic() + 1.0
        while not self.stop and not self.done():
            for j in range(self.SLOTS):
                _sleep_until(t0 + j / self.SLOTS)
                if self.stop:
                    return
                self._push(self.round, j, self.SLOTS)
            self.round += 1
            t0 += 1.0

    def finish(self):
        self.stop = True
        self.thread.join()


# ---------------------------------------------------------------------------
# one configuration


def _sleep_until(t_mono: float):
    while True:
        d = t_mono - time.monotonic()
        if d <= 0:
            return
        time.sleep(min(d, 0.2))


def run_ours(mode: str, n: int, warm: float, window: float, hog: bool, vad: bool, signal, idle=False) -> dict:
    rig = LocalRig(n)
    try:
        obs = LatencyObserver(track="u0")
        if not idle:
            kw = {"dispatch": mode}
            if mode == "queued":
                kw["max_queued_frames"] = max(3000, 100 * n)
            assert rig.listen(obs, enable_vad=1 if vad else 0, **kw) == 0
        push_s = rig.push_all(signal, warm + window + 3.0)
        hog_ctx = GilHog() if hog else NullCtx()
        with hog_ctx as h:
            t_start = time.monotonic()
            t0 = t_start + warm
            t1 = t0 + window
            obs.set_window(int(t0 * 1e6), int(t1 * 1e6))
            cpu, n0, n1, hl0, hl1, others = _measure_window(obs, h, t0, t1)
        qs = rig.agent.get_audio_queue_stats()
        return {"cpu": cpu, "frames_in_cpu_window": n1 - n0, "hog_loops": hl1 - hl0,
                "lat": obs.lat, "expected": n * round(window * 100), "delivered": obs.sent_in_window,
                "track_sends": obs.track_sends, "queue": qs, "join_s": rig.join_s, "push_s": push_s,
                "others_pct": others}
    finally:
        rig.release()


def _measure_window(obs, hog, t0: float, t1: float):
    """CPU, observer count and hog loops over [t0, t1], then 0.5 s of grace (frames
    of the window still in flight count) before the observer stops counting.
    Returns (cpu delta, count at t0, at t1, hog loops at t0, at t1, others' CPU %)."""
    _sleep_until(t0)
    load = MachineLoad()
    c0, n0, hl0 = CpuSnapshot(), obs.count, (hog.loops if hog else 0)
    _sleep_until(t1)
    c1, n1, hl1 = CpuSnapshot(), obs.count, (hog.loops if hog else 0)
    others = load.others_pct()
    time.sleep(0.5)
    obs.active = False
    return c0.delta(c1), n0, n1, hl0, hl1, others


def run_ctypes(n: int, warm: float, window: float, hog: bool, signal, idle=False) -> dict:
    obs = LatencyObserver()
    src = CtypesSource(n, int((warm + window + 3.0) * 100), None if idle else obs, signal)
    hog_ctx = GilHog() if hog else NullCtx()
    with hog_ctx as h:
        src.start()
        start = src.start_us / 1e6
        t0 = start + warm
        t1 = t0 + window
        obs.set_window(int(round(t0 * 1e6)), int(round(t1 * 1e6)))
        cpu, n0, n1, hl0, hl1, others = _measure_window(obs, h, t0, t1)
        src.stop()
    # frames whose deadline lies in [t0, t1): ticks are on an exact 10 ms grid from start
    first = int(np.ceil((t0 - start) * 100 - 1e-9))
    last = int(np.ceil((t1 - start) * 100 - 1e-9))
    return {"cpu": cpu, "frames_in_cpu_window": n1 - n0, "hog_loops": hl1 - hl0, "lat": obs.lat,
            "expected": n * (last - first), "delivered": obs.sent_in_window, "track_sends": array("q"),
            "queue": None, "others_pct": others}


def observer_body_us(frame, n: int = 200_000) -> float:
    """CPU of the user observer itself per call (the same function every
    configuration calls), measured in a loop with a ready-made frame."""
    obs = LatencyObserver()
    obs.set_window(0, 1 << 62)
    f = obs.on_playback_audio_frame_before_mixing
    t0 = time.thread_time()
    for _ in range(n):
        f(None, "bench", "u1", frame, -1, None)
    return 1e6 * (time.thread_time() - t0) / n


def summarize(name, r, idle_rate, dispatch_threads, base_thread_idle=0.0, hog_alone=None,
              body_us=0.0) -> dict:
    cpu = r["cpu"]
    frames = max(1, r["frames_in_cpu_window"])
    th = cpu["threads"]
    wall = cpu["wall"]
    disp = sum(th.get(t, 0.0) for t in dispatch_threads) - base_thread_idle * wall
    proc = cpu["process"] - th.get("gil-hog", 0.0)
    out = {
        "config": name,
        "frames_per_s": r["frames_in_cpu_window"] / wall,
        "delivered_pct": 100.0 * r["delivered"] / max(1, r["expected"]),
        "dispatch_us_per_frame": 1e6 * disp / frames,
        "sdk_us_per_frame": 1e6 * disp / frames - body_us,
        "observer_body_us": body_us,
        "others_cpu_pct": r.get("others_pct"),
        "process_us_per_frame": 1e6 * (proc - idle_rate * wall) / frames,
        "rx_path_us_per_frame": 1e6 * th.get("agora-io", 0.0) / frames if "agora-io" in th else 0.0,
        "process_cpu_pct": 100.0 * cpu["process"] / wall,
        "threads_cpu_pct": {k: 100.0 * v / wall for k, v in sorted(th.items()) if v > 0.001 * wall},
        "hog_kept_pct": (100.0 * r["hog_loops"] / wall / hog_alone) if hog_alone else None,
        "tx_jitter_p99_ms": tx_jitter_p99_ms(r["track_sends"]),
        "queue": r["queue"],
    }
    out.update(latency_stats(r["lat"]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--warm", type=float, default=2.0)
    ap.add_argument("--vad", action="store_true", help="run ours with enable_vad=1 (state + bytes per frame)")
    args = ap.parse_args()
    n, warm, window = args.streams, args.warm, args.window
    signal = speech_signal(warm + window + 3.0 + 30.0)
    baseline_lib()

    print(f"streams={n} window={window}s warm-up={warm}s vad={'on' if args.vad else 'off'} cpus={os.cpu_count()}")
    pcm = signal[:FRAME_SAMPLES]
    our_frame = ar.AudioFrame.from_pcm(pcm, RATE, 1)
    our_frame.send_time_us = now_us()
    base_frame = AgoraStyleAudioFrame(samples_per_channel=FRAME_SAMPLES, buffer=pcm.tobytes(), send_time_us=now_us())
    body_ours, body_base = observer_body_us(our_frame), observer_body_us(base_frame)
    print(f"observer body: {body_ours:.2f} us/call with our AudioFrame, {body_base:.2f} us with the Agora-style frame")
    wait_quiet()
    hog_alone = hog_rate_alone()
    print(f"hog alone: {hog_alone:.0f} loops/s")

    # idle baselines: the same set-up without any Python observer
    wait_quiet()
    idle_ours = run_ours("direct", n, 1.0, min(window, 4.0), False, args.vad, signal, idle=True)
    idle_ours_rate = idle_ours["cpu"]["process"] / idle_ours["cpu"]["wall"]
    idle_ct = run_ctypes(n, 1.0, min(window, 4.0), False, signal, idle=True)
    idle_ct_rate = idle_ct["cpu"]["process"] / idle_ct["cpu"]["wall"]
    idle_ct_thread = idle_ct["cpu"]["threads"].get("ctypes-src", 0.0) / idle_ct["cpu"]["wall"]
    print(f"idle engine (no observer): {100 * idle_ours_rate:.1f}% CPU; idle ctypes source (no callback): "
          f"{100 * idle_ct_rate:.1f}% CPU (its thread {100 * idle_ct_thread:.2f}%)")

    def measure(fn, *a):
        # the machine is shared: a window in which other processes took more
        # than half a core is measured again after a quiet spell (once)
        wait_quiet()
        r = fn(*a)
        if r["others_pct"] > RETRY_IF_OTHERS_PCT:
            print(f"  (other processes used {r['others_pct']:.0f}% of a core during the window: measuring again)",
                  flush=True)
            wait_quiet(90.0)
            r2 = fn(*a)
            r = r2 if r2["others_pct"] < r["others_pct"] else r
        return r

    rows = []
    for hog in (False, True):
        tag = " + GIL hog" if hog else ""
        ha = hog_alone if hog else None
        r = measure(run_ours, "direct", n, warm, window, hog, args.vad, signal)
        rows.append(summarize("ours direct" + tag, r, idle_ours_rate, ["agora-delivery"], hog_alone=ha,
                              body_us=body_ours))
        r = measure(run_ours, "queued", n, warm, window, hog, args.vad, signal)
        rows.append(summarize("ours queued" + tag, r, idle_ours_rate, ["agora-delivery", "agora_rtc-dispatch"],
                              hog_alone=ha, body_us=body_ours))
        r = measure(run_ctypes, n, warm, window, hog, signal)
        rows.append(summarize("ctypes (Agora-style)" + tag, r, idle_ct_rate, ["ctypes-src"],
                              base_thread_idle=idle_ct_thread, hog_alone=ha, body_us=body_base))
        for row in rows[-3:]:
            print(f"  {row['config']}: threads CPU% {', '.join(f'{k}={v:.1f}' for k, v in row['threads_cpu_pct'].items())}"
                  + (f"; queue {row['queue']}" if row["queue"] else ""))

    _report.print_table(
        f"Per-frame dispatch, {n} streams x 100 frames/s, {window:.0f} s window "
        "(latency = native timestamp -> Python receipt)",
        ["config", "frames/s", "delivered %", "dispatch us/frame", "minus observer", "process us/frame",
         "rx path us/frame", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "hog kept %", "others CPU %"],
        [[r["config"], r["frames_per_s"], r["delivered_pct"], r["dispatch_us_per_frame"], r["sdk_us_per_frame"],
          r["process_us_per_frame"], r["rx_path_us_per_frame"], r["p50_ms"], r["p99_ms"], r["p999_ms"],
          r["max_ms"], "-" if r["hog_kept_pct"] is None else r["hog_kept_pct"], r["others_cpu_pct"]]
         for r in rows])

    def ratio(a, b, key):
        x, y = a[key], b[key]
        if not (x == x and y == y):      # nan: no frame arrived in the window
            return "-"
        return x / y if y > 0 else "inf"

    by = {r["config"]: r for r in rows}
    ratios = []
    for tag in ("", " + GIL hog"):
        base = by["ctypes (Agora-style)" + tag]
        for mode in ("direct", "queued"):
            ours = by[f"ours {mode}" + tag]
            ratios.append([f"{mode}{tag}", ratio(base, ours, "dispatch_us_per_frame"),
                           ratio(base, ours, "process_us_per_frame"), ratio(base, ours, "p99_ms"),
                           ratio(ours, base, "delivered_pct")])
    _report.print_table("Ratios (ctypes baseline / ours; same run): CPU and p99 higher = ours better; "
                        "delivered = ours / baseline",
                        ["ours", "dispatch CPU x", "process CPU x", "p99 latency x", "delivered x"], ratios)
    ok = [r for r in rows if r["config"] in ("ours direct", "ours queued")]
    base = by["ctypes (Agora-style)"]
    goal = {r["config"]: {"dispatch_us": round(r["dispatch_us_per_frame"], 2),
                          "le_2us": r["dispatch_us_per_frame"] <= 2.0,
                          "le_2us_without_observer_body": r["sdk_us_per_frame"] <= 2.0,
                          "x_less_than_ctypes": round(base["dispatch_us_per_frame"] / r["dispatch_us_per_frame"], 2),
                          "6x_less_than_ctypes": base["dispatch_us_per_frame"] >= 6 * r["dispatch_us_per_frame"]}
            for r in ok}
    print(f"\ngoal (<= 2 us/frame and >= 6x less than ctypes, idle): {goal}")
    _report.save("dispatch", {"streams": n, "window_s": window, "warm_s": warm, "vad": args.vad,
                              "hog_alone_loops_per_s": hog_alone,
                              "observer_body_us": {"ours": body_ours, "agora_style": body_base},
                              "idle": {"ours_process_cpu_pct": 100 * idle_ours_rate,
                                       "ctypes_process_cpu_pct": 100 * idle_ct_rate,
                                       "ctypes_thread_cpu_pct": 100 * idle_ct_thread},
                              "rows": rows, "goal": goal})


if __name__ == "__main__":
    main()
