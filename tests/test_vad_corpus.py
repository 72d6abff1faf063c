"""benchmarks/vad_corpus.py: the kept-out packages are refused, the clips are reproducible, the
channel effects do what they say."""
import os
import shutil
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import vad_corpus as vc  # noqa: E402


@pytest.mark.parametrize("path", [
    "/usr/share/asterisk/sounds/en/hello-world.wav",
    "/usr/share/asterisk/sounds/en_US_f_Allison/vm-intro.wav",
    "/usr/share/asterisk/sounds/es_MX/hola.wav",
    "/usr/share/sounds/alsa/Front_Center.wav",
    "/usr/share/codec2/raw/hts1a.raw",
])
def test_kept_out_sources_are_refused(path):
    with pytest.raises(vc.RefusedSource):
        vc.check_allowed(path)


def test_dpkg_owned_files_of_kept_out_packages_are_refused(monkeypatch, tmp_path):
    # a file of a kept-out package in a folder no pattern names is refused through dpkg's lists
    odd = str(tmp_path / "shared" / "prompt.wav")
    monkeypatch.setattr(vc, "forbidden_files", lambda: frozenset({odd}))
    with pytest.raises(vc.RefusedSource):
        vc.check_allowed(odd)
    vc.check_allowed(str(tmp_path / "shared" / "other.wav"))


def test_listed_sources_hold_no_kept_out_file():
    for name, src in vc.list_sources().items():
        for item in src["items"]:
            if item[0] == "file":
                vc.check_allowed(item[1])  # raises if one slipped in
                assert "/sounds/en" not in item[1] and "/sounds/es_MX" not in item[1]


def test_g711_companding_is_8_bit_and_close():
    x = np.linspace(-32768, 32767, 100001)
    for law in (vc._ulaw, vc._alaw):
        y = law(x)
        assert len(np.unique(y)) <= 256
        big = np.abs(x) > 512
        assert np.max(np.abs(y - x)[big] / np.abs(x[big])) < 0.07
        assert np.all(np.sign(y[np.abs(x) > 64]) == np.sign(x[np.abs(x) > 64]))


def test_telephone_channel_is_8k_and_band_limited():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(16000) * 3000
    y, desc = vc.telephone(np.random.default_rng(1), x, 16000)
    assert len(y) == 8000 and "G.711" in desc
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / 8000)
    assert spec[(f > 600) & (f < 3000)].mean() > 100 * spec[f < 150].mean()


def test_opus_roundtrip_keeps_a_tone():
    t = np.arange(16000) / 16000
    x = 8000 * np.sin(2 * np.pi * 440 * t)
    y, desc = vc.opus(np.random.default_rng(0), x, 16000)
    assert len(y) == len(x) and "kbit/s" in desc
    # codec delay aside, the 440 Hz tone is what comes out
    spec = np.abs(np.fft.rfft(y[3200:]))
    f = np.fft.rfftfreq(len(y) - 3200, 1 / 16000)
    assert abs(f[np.argmax(spec)] - 440) < 5
    assert 0.5 < np.std(y[3200:]) / np.std(x[3200:]) < 1.5


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")
def test_clips_are_reproducible_and_labelled(tmp_path):
    a = vc.source_clips("espeak-slavic", seed=5, n_clips=2, seconds=8.0, cache=str(tmp_path / "a"))
    b = vc.source_clips("espeak-slavic", seed=5, n_clips=2, seconds=8.0, cache=str(tmp_path / "b"))
    c = vc.source_clips("espeak-slavic", seed=6, n_clips=2, seconds=8.0, cache=str(tmp_path / "c"))
    for x, y in zip(a, b):
        assert x["desc"] == y["desc"] and x["rate"] == y["rate"]
        assert np.array_equal(x["pcm"], y["pcm"]) and np.array_equal(x["truth"], y["truth"])
    assert not all(np.array_equal(x["pcm"], z["pcm"]) for x, z in zip(a, c))
    for x in a:
        assert 0.05 < x["truth"].mean() < 0.95
        assert len(x["truth"]) == len(x["pcm"]) // (x["rate"] // 100)


def test_call_tones_are_the_listed_tones():
    y = vc.make_noise(np.random.default_rng(3), "call-tones", 16000 * 20, 16000)
    assert abs(np.sqrt(np.mean(y * y)) - 1.0) < 1e-6
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / 16000)
    tones = [425, 440, 480, 620, 1000, 697, 770, 852, 941, 1209, 1336, 1477]
    near = np.zeros(len(f), bool)
    for t in tones:
        near |= np.abs(f - t) < 25
    assert spec[near].sum() > 0.9 * spec.sum()


def test_chords_are_harmonic_not_noise():
    y = vc.make_noise(np.random.default_rng(4), "chords", 16000 * 10, 16000)
    spec = np.abs(np.fft.rfft(y[:16384] * np.hanning(16384))) ** 2 + 1e-12
    flatness = np.exp(np.mean(np.log(spec))) / np.mean(spec)
    assert flatness < 0.05                       # peaky (notes), where white noise is ~0.56


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")
def test_clean_clips_have_silence_between_words(tmp_path):
    clips = vc.source_clips("espeak-slavic", seed=5, n_clips=2, seconds=8.0, cache=str(tmp_path), clean=True)
    for c in clips:
        n = c["rate"] // 100
        fr = c["pcm"][: len(c["truth"]) * n].reshape(-1, n).astype(float)
        e = (fr * fr).mean(axis=1)
        assert c["desc"].split()[1] == "none"
        # before the first word nothing was mixed in (no noise; room and codecs start silent)
        first = np.flatnonzero(c["truth"])[0]
        assert e[: max(first - 5, 1)].max() < 1e-3 * e[c["truth"]].mean()
