"""VAD timeline PNG (matplotlib, the plot extra) from a real VadDump (recorded speech over
the local network)."""
import os
import struct
import sys
import wave

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.agent import load_vad_dump, render_vad_timeline, write_png
from agora_rtc.agent.vad_timeline import STATE_COLORS
from conftest import barrier, join

ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")


def read_png(path):
    """The PNG's pixels as (h, w, 3) uint8, read by Pillow (matplotlib's own dependency),
    after checking the file is a well-formed PNG."""
    from PIL import Image
    with Image.open(path) as im:
        assert im.format == "PNG"
        im.verify()                                   # chunk CRCs and structure
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture
def dump_dir(service, tmp_path):
    with wave.open(os.path.join(ASSETS, "caller_question.wav"), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    dump = ar.VadDump(str(tmp_path))

    class Dumper(ar.IAudioFrameObserver):
        def on_playback_audio_frame_before_mixing(self, lu, ch, uid, frame, state, vad_bytes):
            dump.write(uid, frame, state, vad_bytes)
    agent, arec = join(service, "timeline", "agent", record=False)
    agent.register_audio_frame_observer(Dumper(), 1, ar.AudioVadConfigV2())
    caller, _ = join(service, "timeline", "caller")
    caller.push_audio_pcm_data(np.concatenate([pcm, np.zeros(16000, np.int16)]), 16000, 1)
    assert caller.wait_push_completed(30)
    agent.register_local_user_observer(arec)
    barrier(caller, arec)
    agent.unregister_audio_frame_observer()
    dump.close()
    return tmp_path


def runs(mask):
    """Number of runs of True in a 1-D boolean array."""
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    return int((np.diff(m) == 1).sum())


def test_timeline_png_shows_the_dumped_vad_decisions(dump_dir, tmp_path):
    tl = load_vad_dump(dump_dir, "caller")
    utts = tl.utterances()
    vad_files = sorted(f for f in os.listdir(dump_dir) if f.startswith("vad_caller_"))
    assert len(utts) == len(vad_files) >= 2 and tl.seconds > 4
    assert tl.pcm.size == tl.frames * 160
    # each frame's audio goes to ASR once (the start bytes carry the pre-roll), so the
    # frames marked as handed to ASR are the dumped utterances' share; not the trailing silence
    asr_bytes = sum(os.path.getsize(dump_dir / f) for f in vad_files)
    assert asr_bytes == tl.vad_bytes.sum()
    assert tl.asr_frames().mean() == pytest.approx(asr_bytes / 320 / tl.frames, abs=0.01)
    assert not tl.asr_frames()[-20:].any()

    png = tmp_path / "timeline.png"
    drawn = render_vad_timeline(tl, png, width=800, height=300, start_voice_prob=70, stop_voice_prob=60)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (800, 300)
    img = read_png(png)
    assert img.shape == (300, 800, 3) and np.array_equal(img, drawn)

    # The state band: the row with the most state-coloured pixels crosses it. Along it,
    # one blue "speaking" run per utterance, starts (orange) and stops (red) between.
    def is_state(px, s):
        return np.all(px == STATE_COLORS[s], axis=-1)
    in_band = sum(is_state(img, s) for s in range(4)).sum(axis=1)
    row = img[int(np.argmax(in_band))]
    assert in_band.max() > 0.5 * 800                  # a band across the plot, not a legend patch
    assert runs(is_state(row, 2)) == len(utts)
    assert is_state(row, 1).any() and is_state(row, 3).any()
    # where the first utterance starts, relative to the band's extent
    band = np.flatnonzero(sum(is_state(row, s) for s in range(4)))
    first = band[0] + int(np.argmax(~is_state(row[band[0]:band[-1] + 1], 0)))
    assert (first - band[0]) / (band[-1] - band[0]) == pytest.approx(utts[0][0] / tl.frames, abs=0.01)
    # the voice_prob line (green) and the threshold lines (dashed, orange) run over the
    # whole time axis, which the panels share with the band
    def near(color):
        return np.all(np.abs(img.astype(int) - color) <= 40, axis=2)[:, band[0]:band[-1] + 1]
    assert near((30, 150, 60)).any(axis=0).mean() > 0.95
    assert near((200, 120, 0)).any(axis=0).mean() > 0.6


def test_timeline_without_matplotlib_names_the_extra(dump_dir, tmp_path, monkeypatch):
    tl = load_vad_dump(dump_dir, "caller")
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.image"):
        monkeypatch.setitem(sys.modules, name, None)      # what `import` sees when it is not installed
    with pytest.raises(ImportError, match=r"matplotlib.*pip install 'agora_rtc\[plot\]'"):
        render_vad_timeline(tl, tmp_path / "x.png")
    with pytest.raises(ImportError, match=r"agora_rtc\[plot\]"):
        write_png(tmp_path / "y.png", np.zeros((2, 2, 3), np.uint8))
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()


def test_bad_input(tmp_path, dump_dir):
    with pytest.raises(FileNotFoundError, match="VadDump directory"):
        load_vad_dump(tmp_path / "nothing", "caller")
    with pytest.raises(ValueError, match="sample_rate"):
        load_vad_dump(dump_dir, "caller", sample_rate=22050)
    tl = load_vad_dump(dump_dir, "caller")
    with pytest.raises(ValueError, match="width"):
        render_vad_timeline(tl, tmp_path / "x.png", width=10)
    with pytest.raises(ValueError, match="start_voice_prob"):
        render_vad_timeline(tl, tmp_path / "x.png", start_voice_prob=170)
    with pytest.raises(TypeError, match="VadTimeline"):
        render_vad_timeline("dump", tmp_path / "x.png")
    with pytest.raises(ValueError, match="uint8"):
        write_png(tmp_path / "x.png", np.zeros((2, 2, 3), np.float32))
    (dump_dir / "labels_bad.txt").write_text("0 1 2\n")
    (dump_dir / "source_bad.pcm").write_bytes(b"")
    with pytest.raises(ValueError, match="expected 6 fields"):
        load_vad_dump(dump_dir, "bad")
