"""benchmarks/fit_vad_model.py: the fit is seeded (re-runs give the same weights) and the weights
it writes into src/_native/audio/dsp/audio_labels.c are the ones the C runs (voice_prob from the Python
forward pass of the parsed model equals the C's own voice_prob on the same features)."""
import os
import shutil
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import fit_vad_model as fm  # noqa: E402


def _toy(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((6000, 5))
    y = ((X[:, 0] + 0.5 * X[:, 1] ** 2) > 0.5).astype(float)
    return X, y, np.ones(len(y))


def test_fit_is_seeded_and_reproducible():
    X, y, w = _toy(0)
    a = fm.fit_network(X, y, w, hidden=4, epochs=150, seed=3)
    b = fm.fit_network(X, y, w, hidden=4, epochs=150, seed=3)
    c = fm.fit_network(X, y, w, hidden=4, epochs=150, seed=4)
    for p, q in zip(a, b):
        assert np.array_equal(p, q)
    assert not np.array_equal(a[0], c[0])
    # and it learns: the toy boundary (not linear) is found on fresh data
    Xt, yt, _ = _toy(1)
    W1, b1, w2, b2 = a
    z = np.tanh(Xt @ W1 + b1) @ w2 + b2
    assert np.mean((z > 0) == (yt > 0.5)) > 0.9


def test_soft_targets_keep_speech_and_soften_non_speech():
    truth = np.array([0, 0, 1, 1], bool)
    teacher = np.array([0, 80, 20, 100])
    assert np.allclose(fm.soft_targets(truth, teacher, 0.0), [0, 0, 1, 1])
    # speech frames keep the truth; non-speech frames take a share of the teacher's probability
    assert np.allclose(fm.soft_targets(truth, teacher, 1.0), [0, 0.8, 1, 1])
    assert np.allclose(fm.soft_targets(truth, teacher, 0.5), [0, 0.4, 1, 1])


@pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None, reason="no C compiler")
def test_written_model_is_what_the_c_computes():
    rate = 16000
    rng = np.random.default_rng(7)
    t = np.arange(3 * rate) / rate
    # a gliding harmonic "vowel" with a syllable-rate envelope, over noise
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    ph = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(k * ph) / k for k in range(1, 12)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2
    x = 3000 * voice * (t > 1.0) + 300 * rng.standard_normal(len(t))
    pcm = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    feat = fm.Features(fm.C_SRC)
    try:
        F, vp_c = feat(pcm, rate)
    finally:
        feat.close()
    vp_py = fm.voice_prob(F, fm.frame_dbfs(pcm, rate), *fm.read_model())
    assert len(vp_py) == len(vp_c) == 300
    # float32 + a fast tanh in C against float64 here: at most one step of 0..100 apart
    assert np.max(np.abs(vp_py - vp_c)) <= 1
    assert vp_c.max() - vp_c.min() > 30  # the signal moves the probability at all
