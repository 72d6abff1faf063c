"""VAD timeline PNG from a real VadDump (recorded speech over the local network)."""
import os
import struct
import wave
import zlib

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.agent import load_vad_dump, render_vad_timeline, write_png
from agora_rtc.agent.vad_timeline import STATE_COLORS
from conftest import barrier, join

ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")


def decode_png(path):
    """A minimal independent PNG reader (8-bit RGB, any of the 5 row filters)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(tag + body) & 0xFFFFFFFF
        if tag == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[:4]
    assert (depth, ctype) == (8, 2)
    raw = zlib.decompress(idat)
    stride = w * 3
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)], np.uint8).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        if f == 0:
            out[y], prev = line, line
            continue
        for x in range(stride):
            a = cur[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            pred = {0: 0, 1: a, 2: b, 3: (a + b) // 2}.get(f)
            if pred is None:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + pred) & 0xFF
        out[y], prev = cur, cur
    return out.reshape(h, w, 3).astype(np.uint8)


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

    png = tmp_path / "timeline.png"
    drawn = render_vad_timeline(tl, png, width=800, height=300, start_voice_prob=70, stop_voice_prob=70)
    img = decode_png(png)
    assert img.shape == (300, 800, 3) and np.array_equal(img, drawn)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) >= 6          # not a blank picture

    # the state band (bottom rows) has one blue "speaking" run per utterance, each
    # starting orange and ending red, in the dump's order
    band = img[-12]
    blue = np.all(band == STATE_COLORS[2], axis=1)
    assert runs(blue) == len(utts)
    for s in (1, 3):
        assert np.all(band == STATE_COLORS[s], axis=1).any()
    # the columns of the first utterance match its frames
    m, pw = 6, 800 - 12
    start_col = m + utts[0][0] * pw // tl.frames
    not_silent = ~np.all(band[m:m + pw] == STATE_COLORS[0], axis=1)
    assert abs(m + int(np.argmax(not_silent)) - start_col) <= 1
    # waveform: blue where the audio went to ASR; each frame's audio goes once (the
    # start bytes carry the pre-roll), so the blue share is the dumped utterances' share
    wave_rows = img[6:6 + 120, m:m + pw]
    blue_cols = np.all(wave_rows == STATE_COLORS[2], axis=2).any(axis=0)
    asr_bytes = sum(os.path.getsize(dump_dir / f) for f in vad_files)
    assert asr_bytes == tl.vad_bytes.sum()
    assert blue_cols.mean() == pytest.approx(asr_bytes / 320 / tl.frames, abs=0.01)
    assert not blue_cols[-20:].any()                    # the trailing silence was not sent
    # voice_prob line: green pixels in every column of the middle panel
    prob_rows = img[136:232]
    green = np.all(prob_rows == (30, 150, 60), axis=2).any(axis=0)
    assert green[m:m + pw].mean() > 0.95


def test_bad_input(tmp_path, dump_dir):
    with pytest.raises(FileNotFoundError, match="VadDump directory"):
        load_vad_dump(tmp_path / "nothing", "caller")
    with pytest.raises(ValueError, match="sample_rate"):
        load_vad_dump(dump_dir, "caller", sample_rate=22050)
    tl = load_vad_dump(dump_dir, "caller")
    with pytest.raises(ValueError, match="width"):
        render_vad_timeline(tl, tmp_path / "x.png", width=10)
    with pytest.raises(TypeError, match="VadTimeline"):
        render_vad_timeline("dump", tmp_path / "x.png")
    with pytest.raises(ValueError, match="uint8"):
        write_png(tmp_path / "x.png", np.zeros((2, 2, 3), np.float32))
    (dump_dir / "labels_bad.txt").write_text("0 1 2\n")
    (dump_dir / "source_bad.pcm").write_bytes(b"")
    with pytest.raises(ValueError, match="expected 6 fields"):
        load_vad_dump(dump_dir, "bad")
