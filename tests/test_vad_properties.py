"""Properties of the VAD V2 state machine (VAD.md section 3), the compiled C
against the pure-Python reference model in tests/vad_reference.py.

The decision logic is driven with arbitrary label sequences through
VadEngine.process_labels; every frame's bytes encode its index (40 little-endian
uint32 copies of it: one 10 ms frame of 8 kHz mono int16 is 160 bytes), so any
dropped, duplicated or reordered frame is visible in what the machine returns.
"""
import copy
import math
import random
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import agora_rtc as ar
from agora_rtc._core._engine import VAD_CONFIG_FIELDS, VadEngine, default_vad_config
from vad_reference import FIELDS, ReferenceVadV2, f32, required_count

RATE = 8000                         # smallest frame: 160 bytes
FRAME_BYTES = RATE // 100 * 2
WORDS = FRAME_BYTES // 4
GRAMMAR = re.compile(r"(0*12*3)*0*(12*)?")

SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def frame(i: int) -> bytes:
    return np.full(WORDS, i, dtype="<u4").tobytes()


def frame_indices(b: bytes) -> list:
    """Frame indices encoded in concatenated frame bytes (asserts whole, intact frames)."""
    assert len(b) % FRAME_BYTES == 0, f"{len(b)} bytes is not a whole number of frames"
    a = np.frombuffer(b, dtype="<u4").reshape(-1, WORDS)
    assert (a == a[:, :1]).all(), "a frame's bytes were mixed with another frame's"
    return a[:, 0].tolist()


# ---------------------------------------------------------------- strategies

# Shares that stress the rounding of ceil(A*S): exact k/S fractions (0.1*10 in
# float32 is 1.0000000149), tiny values, 1.0.
SPECIAL_SHARES = [1e-6, 4.9e-7, 5e-7, 0.1, 0.2, 0.25, 0.3, 1 / 3, 0.5, 0.6, 2 / 3, 0.7, 0.75,
                  0.8, 0.9, 0.95, 0.999999, 1.0]
shares = st.one_of(st.sampled_from(SPECIAL_SHARES),
                   st.floats(min_value=0.0, max_value=1.0, exclude_min=True)
                   .filter(lambda x: np.float32(x) > 0))   # the engine reads A and I as float32
# -50.3 is not a float32: C compares float32 levels with float32 thresholds.
SPECIAL_DB = [-100.0, -50.3, -50.0, -33.33, -12.7, -0.1, 0.0]
thresholds = st.one_of(st.sampled_from(SPECIAL_DB),
                       st.floats(min_value=-100.0, max_value=0.0))
probs = st.one_of(st.sampled_from([0, 1, 50, 69, 70, 71, 99, 100]), st.integers(0, 100))


@st.composite
def configs(draw, adaptive=None, max_count=8):
    kw = dict(
        preStartRecognizeCount=draw(st.integers(0, max_count)),
        startRecognizeCount=(S := draw(st.integers(1, max_count))),
        startRunCount=draw(st.one_of(st.just(0), st.integers(0, S))),
        stopRecognizeCount=draw(st.integers(1, max_count)),
        activePercent=draw(shares),
        inactivePercent=draw(shares),
        startVoiceProb=draw(probs),
        stopVoiceProb=draw(probs),
        startRmsThreshold=draw(thresholds),
        stopRmsThreshold=draw(thresholds),
        adaptiveRms=draw(st.booleans()) if adaptive is None else adaptive,
        adaptiveRmsFactor=draw(st.one_of(st.sampled_from([0.0, 3.0, 10.0, 60.0, 100.0]),
                                         st.floats(0.0, 100.0))),
    )
    return ar.AudioVadConfigV2(**kw)


def _near(x: float):
    """Levels on, just above and just below a threshold, in float32 and double."""
    x32 = np.float32(x)
    return [x, float(x32), float(np.nextafter(x32, np.float32(1))),
            float(np.nextafter(x32, np.float32(-1))), x + 1e-9, x - 1e-9]


@st.composite
def label_runs(draw, cfg, max_frames=300):
    """Runs of frames that are active / inactive for ``cfg``, arbitrary, on the
    thresholds, or active with a repeating pattern of holes. Run kinds, lengths and
    levels are drawn by hypothesis (so failures shrink to few short runs); the
    per-frame values of the arbitrary and on-threshold runs come from a seeded
    random.Random, which keeps generation fast."""
    hi_prob = max(cfg.startVoiceProb, cfg.stopVoiceProb)
    lo_prob = min(cfg.startVoiceProb, cfg.stopVoiceProb)
    hi_db = max(cfg.startRmsThreshold, cfg.stopRmsThreshold)
    lo_db = min(cfg.startRmsThreshold, cfg.stopRmsThreshold)
    edges = _near(cfg.startRmsThreshold) + _near(cfg.stopRmsThreshold) + [-127.0, 0.0]
    edge_probs = sorted({lo_prob, hi_prob, max(0, lo_prob - 1), min(100, hi_prob + 1), 0, 100})
    labels = []
    n_runs = draw(st.integers(1, 14))
    for _ in range(n_runs):
        if len(labels) >= max_frames:
            break
        length = min(draw(st.integers(1, 60)), max_frames - len(labels))
        mode = draw(st.sampled_from(["active", "inactive", "random", "edge", "sparse"]))
        if mode == "active":
            labels += [(draw(st.floats(hi_db, 0.0)), draw(st.integers(hi_prob, 100)))] * length
        elif mode == "inactive":
            if lo_prob > 0 and draw(st.booleans()):
                labels += [(draw(st.floats(-127.0, 0.0)), draw(st.integers(0, lo_prob - 1)))] * length
            else:
                labels += [(draw(st.floats(-127.0, max(-127.0, lo_db - 1e-3))),
                            draw(st.integers(0, 100)))] * length
        elif mode == "sparse":       # active with holes: exercises the counting windows
            on = (draw(st.one_of(st.sampled_from(edges), st.floats(hi_db, 0.0))),
                  draw(st.integers(hi_prob, 100)))
            pattern = draw(st.lists(st.booleans(), min_size=1, max_size=8))
            labels += [(on if pattern[i % len(pattern)] else (-127.0, 0)) for i in range(length)]
        else:
            rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
            if mode == "edge":
                labels += [(rnd.choice(edges), rnd.choice(edge_probs)) for _ in range(length)]
            else:
                labels += [(rnd.choice(edges) if rnd.random() < 0.2 else rnd.uniform(-127.0, 0.0),
                            rnd.randint(0, 100)) for _ in range(length)]
    return labels


@st.composite
def cases(draw, adaptive=None, max_frames=300):
    cfg = draw(configs(adaptive=adaptive))
    return cfg, draw(label_runs(cfg, max_frames=max_frames))


def run_c(cfg, labels, resets=()):
    eng = VadEngine(cfg._native())
    out = []
    for i, (d, p) in enumerate(labels):
        if i in resets:
            eng.reset()
        out.append(eng.process_labels(frame(i), d, p, RATE, 1))
    return out


def run_ref(cfg, labels, resets=()):
    ref = ReferenceVadV2(cfg._native())
    out = []
    for i, (d, p) in enumerate(labels):
        if i in resets:
            ref.reset()
        out.append(ref.process(d, p, frame(i)))
    return out


def check_grammar(out):
    s = "".join(str(st_) for st_, _ in out)
    assert GRAMMAR.fullmatch(s), f"state sequence breaks (0*12*3)*0*(12*)?: {s}"
    for st_, b in out:
        assert isinstance(b, (bytes, bytearray))
        assert (len(b) == 0) == (st_ == 0)
        if st_ in (2, 3):
            assert len(b) == FRAME_BYTES


def check_conservation(out, cfg):
    P, S = cfg.preStartRecognizeCount, cfg.startRecognizeCount
    last_emitted = -1                  # the last frame index handed out so far
    seg = None
    for i, (state, b) in enumerate(out):
        if state == 0:
            continue
        idx = frame_indices(b)
        if state == 1:
            assert seg is None
            assert idx[-1] == i, "the start bytes must end with the start frame"
            assert S <= len(idx) <= P + S, f"start bytes hold {len(idx)} frames (S={S}, P={P})"
            assert len(idx) - S <= P, "more than P frames of pre-roll"
            assert idx[0] > last_emitted, "a frame was emitted twice"
            seg = idx
        else:
            assert seg is not None
            assert idx == [i], f"state {state} at frame {i} carries frames {idx}"
            seg = seg + idx
        assert seg == list(range(seg[0], seg[0] + len(seg))), "segment is not contiguous input"
        last_emitted = seg[-1]
        if state == 3:
            assert seg[-1] == i
            seg = None


# ---------------------------------------------------------------- 1-3: grammar, conservation, C == reference

@settings(max_examples=150, **SETTINGS)
@given(cases())
def test_grammar(case):
    cfg, labels = case
    out = run_c(cfg, labels)
    check_grammar(out)


@settings(max_examples=150, **SETTINGS)
@given(cases())
def test_conservation(case):
    cfg, labels = case
    out = run_c(cfg, labels)
    check_conservation(out, cfg)


@settings(max_examples=500, **SETTINGS)
@given(cases())
def test_c_matches_reference(case):
    cfg, labels = case
    got, want = run_c(cfg, labels), run_ref(cfg, labels)
    for i, (g, w) in enumerate(zip(got, want)):
        assert (g[0], bytes(g[1])) == w, (
            f"frame {i}: C {g[0]} ({len(g[1])} B) != reference {w[0]} ({len(w[1])} B); "
            f"config {cfg!r}; labels[:i+1] {labels[:i + 1]!r}")
    # the reference obeys its own spec too (so the agreement is not vacuous)
    check_grammar(want)
    check_conservation(want, cfg)


@settings(max_examples=250, **SETTINGS)
@given(cases(adaptive=True))
def test_adaptive_rms_matches_reference(case):
    cfg, labels = case
    got, want = run_c(cfg, labels), run_ref(cfg, labels)
    assert [(s, bytes(b)) for s, b in got] == want


@settings(max_examples=100, **SETTINGS)
@given(cases(), st.data())
def test_reset_matches_reference(case, data):
    """reset() forgets the history and restores the configured (non-adaptive) floors."""
    cfg, labels = case
    resets = set(data.draw(st.lists(st.integers(0, max(0, len(labels) - 1)), max_size=4)))
    got, want = run_c(cfg, labels, resets), run_ref(cfg, labels, resets)
    assert [(s, bytes(b)) for s, b in got] == want


def test_adaptive_rms_example():
    """A loud utterance raises the floor: quieter activity afterwards no longer starts,
    and the floors never go below the configured ones."""
    base = dict(preStartRecognizeCount=2, startRecognizeCount=5, stopRecognizeCount=5,
                activePercent=0.6, inactivePercent=0.6, startVoiceProb=50, stopVoiceProb=50,
                rmsThreshold=-50.0, adaptiveRmsFactor=10.0)
    labels = [(-10.0, 90)] * 30 + [(-60.0, 0)] * 20 + [(-35.0, 90)] * 30
    off = [s for s, _ in run_c(ar.AudioVadConfigV2(**base), labels)]
    on = [s for s, _ in run_c(ar.AudioVadConfigV2(adaptiveRms=True, **base), labels)]
    assert off.count(1) == 2 and on.count(1) == 1
    # utterance mean is well below the floor: the floor stays at -50, -45 still starts
    quiet = [(-45.0, 90)] * 10 + [(-100.0, 90)] * 40 + [(-45.0, 90)] * 10
    on = [s for s, _ in run_c(ar.AudioVadConfigV2(adaptiveRms=True, **base), quiet)]
    assert on.count(1) == 2
    for lab in (labels, quiet):
        cfg = ar.AudioVadConfigV2(adaptiveRms=True, **base)
        assert [(s, bytes(b)) for s, b in run_c(cfg, lab)] == run_ref(cfg, lab)


# ---------------------------------------------------------------- 4: edges

@settings(max_examples=60, **SETTINGS)
@given(configs(max_count=20), st.sampled_from([(8000, 1), (16000, 1), (48000, 2), (44100, 1)]),
       st.integers(1, 400))
def test_digital_silence_never_starts(cfg, fmt, n):
    rate, ch = fmt
    vad = ar.AudioVadV2(cfg)
    z = bytes(rate // 100 * ch * 2)
    for _ in range(n):
        state, b = vad.process(z, rate, ch)
        assert state == 0 and b == bytearray() and b is not None
    assert vad.last_voice_prob == 0 and vad.last_rms == 0


@settings(max_examples=200, **SETTINGS)
@given(st.integers(1, 40), st.integers(1, 10**6), st.integers(0, 60), st.integers(0, 20))
def test_active_stream_starts_after_ceil_a_s(S, a_ppm, prefix, P):
    """k inactive frames, then only active ones: the start is at the frame where the
    window first holds ceil(A*S) active frames, and never before S frames exist.
    A = a_ppm / 1e6 exactly (a decimal with 6 digits), ceil computed with fractions."""
    A = a_ppm / 10**6
    need = max(1, math.ceil(Fraction(a_ppm, 10**6) * S))
    assert required_count(A, S) == need
    cfg = ar.AudioVadConfigV2(P, S, 5, A, 0.5, 60, 60, -40.0)
    labels = [(-80.0, 0)] * prefix + [(-20.0, 90)] * (S + 60)
    states = [s for s, _ in run_c(cfg, labels)]
    expect = max(S - 1, prefix + need - 1)
    assert states.index(1) == expect
    assert all(s == 0 for s in states[:expect])


@pytest.mark.parametrize("rate,ch", [(8000, 1), (16000, 1), (48000, 2)])
@pytest.mark.parametrize("S,A", [(1, 1.0), (10, 0.1), (10, 0.7), (30, 0.7), (7, 1 / 3)])
def test_active_pcm_starts_after_s_frames(rate, ch, S, A):
    """Real PCM end to end: with startVoiceProb=0 and a -100 dBFS floor every non-silent
    frame is active, so after k digital-silence frames the start comes at frame
    max(S, k + ceil(A*S)) - 1."""
    cfg = ar.AudioVadConfigV2(3, S, 5, A, 0.5, 0, 0, -100.0)
    need = required_count(A, S)
    assert need == max(1, math.ceil(Fraction(str(round(A, 6))) * S))
    rng = np.random.default_rng(S)
    n = rate // 100 * ch
    for k in (0, 2 * S + 3):
        vad = ar.AudioVadV2(cfg)
        states = []
        for i in range(k + S + 5):
            x = np.zeros(n, np.int16) if i < k else rng.integers(-2000, 2000, n).astype(np.int16)
            states.append(vad.process(x.tobytes(), rate, ch)[0])
        assert states.index(1) == max(S, k + need) - 1, (k, states)


BAD_VALUES = {
    "preStartRecognizeCount": st.one_of(st.integers(max_value=-1), st.integers(min_value=100001)),
    "startRecognizeCount": st.one_of(st.integers(max_value=0), st.integers(min_value=100001)),
    "stopRecognizeCount": st.one_of(st.integers(max_value=0), st.integers(min_value=100001)),
    "startRunCount": st.one_of(st.integers(max_value=-1), st.integers(min_value=31)),  # > S (30)
    # (0, 7e-46] is positive in double but 0.0 in float32, which is what the engine stores
    "activePercent": st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0, exclude_min=True),
                               st.floats(0.0, 7e-46, exclude_min=True),
                               st.sampled_from([math.nan, math.inf, -math.inf, 0, 2, 1e-300])),
    "inactivePercent": st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0, exclude_min=True),
                                 st.floats(0.0, 7e-46, exclude_min=True),
                                 st.sampled_from([math.nan, math.inf, -math.inf, 0, 2, 1e-55])),
    "startVoiceProb": st.one_of(st.integers(max_value=-1), st.integers(min_value=101)),
    "stopVoiceProb": st.one_of(st.integers(max_value=-1), st.integers(min_value=101)),
    "rmsThreshold": st.one_of(st.floats(max_value=-100.0, exclude_max=True),
                              st.floats(min_value=0.0, exclude_min=True), st.just(math.nan)),
    "startRmsThreshold": st.one_of(st.floats(max_value=-100.0, exclude_max=True),
                                   st.floats(min_value=0.0, exclude_min=True), st.just(math.nan)),
    "stopRmsThreshold": st.one_of(st.floats(max_value=-100.0, exclude_max=True),
                                  st.floats(min_value=0.0, exclude_min=True), st.just(math.nan)),
    "adaptiveRmsFactor": st.one_of(st.floats(max_value=0.0, exclude_max=True),
                                   st.floats(min_value=100.0, exclude_min=True), st.just(math.nan)),
}


@settings(max_examples=300, **SETTINGS)
@given(st.sampled_from(sorted(BAD_VALUES)).flatmap(lambda k: st.tuples(st.just(k), BAD_VALUES[k])))
def test_out_of_range_config_raises(field_value):
    field, value = field_value
    with pytest.raises(ValueError, match=field if field != "rmsThreshold" else "RmsThreshold"):
        ar.AudioVadConfigV2(**{field: value})
    # a config mutated after construction is rejected wherever it is used
    cfg = ar.AudioVadConfigV2()
    setattr(cfg, field, value)
    with pytest.raises(ValueError):
        ar.AudioVadV2(cfg)
    with pytest.raises(ValueError):
        ar.AudioVadManager(cfg).process("c", "u", bytes(320), 16000)


C_BAD = {  # the engine's own validation (the C ranges), bypassing the Python layer
    0: [-1, -(2**31)], 1: [0, -5], 2: [0, -1], 3: [0.0, -0.5, 1.0001, math.nan, math.inf],
    4: [0.0, 1.5, math.nan, -math.inf], 5: [-1, 101], 6: [-1, 1000], 7: [-100.5, 0.5, math.nan],
    8: [-101.0, 1.0, math.inf], 9: [2, -1], 10: [-0.5, 100.5, math.nan],
    11: [-1, 31],  # start_run_count: 0..start_recognize_count (30 by default)
}


@pytest.mark.parametrize("pos,value", [(p, v) for p, vs in C_BAD.items() for v in vs],
                         ids=lambda x: str(x))
def test_out_of_range_raw_tuple_raises(pos, value):
    t = list(default_vad_config())
    t[pos] = value
    with pytest.raises(ValueError, match=VAD_CONFIG_FIELDS[pos]):
        VadEngine(tuple(t))


def test_reference_fields_match_engine():
    assert FIELDS == VAD_CONFIG_FIELDS


# users --------------------------------------------------------------------

def _user_streams():
    """Three users with different formats and audio that starts and stops."""
    rng = np.random.default_rng(7)
    out = []
    for u, (rate, ch) in enumerate([(16000, 1), (8000, 1), (48000, 2)]):
        n = rate // 100
        t = np.arange(n * 200) / rate
        voiced = (6000 * np.sin(2 * np.pi * (140 + 30 * u) * t) *
                  (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)))
        x = np.concatenate([np.zeros(n * 20), voiced[: n * (60 + 20 * u)], np.zeros(n * 50),
                            rng.normal(0, 300, n * 40), voiced[: n * 50]])
        x = x.astype(np.int16)
        if ch == 2:
            x = np.repeat(x, 2)
        out.append(([x[i * n * ch:(i + 1) * n * ch].tobytes() for i in range(len(x) // (n * ch))],
                    rate, ch))
    return out


USERS = _user_streams()


@settings(max_examples=40, **SETTINGS)
@given(st.lists(st.integers(0, 2), min_size=50, max_size=700), configs(max_count=12))
def test_users_are_independent(order, cfg):
    """AudioVadManager with the users' frames interleaved in any order gives each user
    exactly what a separate AudioVadV2 gives on that user's frames alone."""
    mgr = ar.AudioVadManager(cfg)
    pos = [0, 0, 0]
    got = [[], [], []]
    keys = [("a1", "2"), ("a", "12"), ("b", "2")]   # ("a1","2") and ("a","12") must not collide
    for u in order:
        frames, rate, ch = USERS[u]
        if pos[u] >= len(frames):
            continue
        got[u].append(mgr.process(*keys[u], frames[pos[u]], rate, ch))
        pos[u] += 1
    assert len(mgr) == len({keys[u] for u in set(order)})
    for u in range(3):
        frames, rate, ch = USERS[u]
        alone = ar.AudioVadV2(cfg)
        want = [alone.process(f, rate, ch) for f in frames[:pos[u]]]
        assert got[u] == want, f"user {u} differs when interleaved"


def test_manager_keys_do_not_collide_and_del_frees():
    mgr = ar.AudioVadManager()
    a = mgr.add_vad("a1", "2")
    b = mgr.add_vad("a", "12")
    assert a is not b and len(mgr) == 2
    assert mgr.add_vad("a1", 2) is a             # user ids are compared as strings
    mgr.del_vad("a1", "2")
    assert len(mgr) == 1 and mgr.add_vad("a1", "2") is not a


# configs ------------------------------------------------------------------

def _snapshot(cfg):
    return tuple(copy.deepcopy(getattr(cfg, k)) for k in ar.AudioVadConfigV2.__slots__)


@settings(max_examples=40, **SETTINGS)
@given(configs(max_count=10))
def test_config_never_mutated(cfg):
    before = _snapshot(cfg)
    frames, rate, ch = USERS[0]
    v1 = ar.AudioVadV2(cfg)
    v2 = ar.AudioVadV2(cfg)                      # two detectors sharing one config object
    mgr = ar.AudioVadManager(cfg)
    out1 = [v1.process(f, rate, ch) for f in frames[:150]]
    out2 = [v2.process(f, rate, ch) for f in frames[:150]]
    outm = [mgr.process("c", "u", f, rate, ch) for f in frames[:150]]
    assert _snapshot(cfg) == before
    assert out1 == out2 == outm                  # sharing does not couple them
    assert v1.config == cfg and v1.config is not cfg
    # changing the caller's object afterwards does not reach the detectors
    frozen = copy.copy(cfg)
    cfg.startVoiceProb = 100 - cfg.startVoiceProb
    cfg.rmsThreshold = -100.0 if cfg.startRmsThreshold > -50 else 0.0
    more1 = [v1.process(f, rate, ch) for f in frames[150:]]
    ref = ar.AudioVadV2(frozen)
    want = [ref.process(f, rate, ch) for f in frames]
    assert out1 + more1 == want
    assert v1.config == frozen


def test_engine_registration_does_not_mutate_config(service):
    cfg = ar.AudioVadConfigV2(5, 10, 20, 0.6, 0.4, 60, 50, -45.5)
    before = _snapshot(cfg)
    conn = service.create_rtc_connection(ar.RTCConnConfig())

    class Obs(ar.IAudioFrameObserver):
        def on_playback_audio_frame_before_mixing(self, *a):
            pass

    assert conn.register_audio_frame_observer(Obs(), 1, cfg) == 0
    assert conn.register_audio_frame_observer(Obs(), 1, cfg) == 0
    assert _snapshot(cfg) == before
    conn.release()
