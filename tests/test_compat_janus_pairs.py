"""Pairs of scripts written for the original SDK (tests/compat_scripts), run
unchanged through `python -m agora_rtc.compat` as separate processes that meet
through a private Janus, the way the original's examples meet through Agora:
a PCM sender (RTCBaseProcess style) heard by a VAD receiver that dumps with the
original VadDump, an encoded H.264 sender on the media node factory seen by
an encoded-video receiver, and a raw-video sender (encoder configuration,
simulcast asked for, I420 / RGBA pushes) seen by a raw-video receiver. Each
pair is judged by what its receiver got."""
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
import wave

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "compat_scripts")
ASSETS = os.path.join(HERE, "..", "examples", "assets")
sys.path.insert(0, os.path.join(HERE, "..", "examples"))

pytestmark = pytest.mark.skipif("not __import__('agora_rtc.janus').janus.janus_available()")


@pytest.fixture(scope="module")
def janus():
    from agora_rtc.janus import JanusServer
    with JanusServer() as srv:
        yield srv


def start(script, *args, url, cwd):
    env = dict(os.environ, AGORA_RTC_TRANSPORT_URL=url)
    return subprocess.Popen([sys.executable, "-m", "agora_rtc.compat", os.path.join(SCRIPTS, script),
                             *map(str, args)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def result(proc, timeout):
    out, err = proc.communicate(timeout=timeout)
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"rc={proc.returncode}\nstdout:\n{out[-3000:]}\nstderr:\n{err[-4000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def stop(proc, timeout=60):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    return result(proc, timeout)


def test_pcm_sender_heard_by_vad_receiver_with_original_vad_dump(janus, tmp_path):
    url = f"{janus.transport_url}?admin_key={janus.admin_key}"
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        speech = w.readframes(w.getnframes())
    pcm = tmp_path / "question.pcm"
    pcm.write_bytes(b"\x00" * 16000 + speech + b"\x00" * 32000)   # silence, speech, silence
    receiver = start("vad_dump_receiver.py", "porting-room", "listener", tmp_path / "vad", 2, 90,
                     url=url, cwd=tmp_path)
    assert receiver.stdout.readline().strip() == "READY"
    sender = start("pcm_file_sender.py", "porting-room", "speaker", pcm, tmp_path / "logs", url=url, cwd=tmp_path)
    try:
        heard = result(receiver, 120)
    finally:
        sent = stop(sender)
    assert sent["codes"] == [0] and sent["rounds"] >= 1
    assert sent["log_written"]                                       # its log folder was created
    assert list(heard["states"]) == ["speaker"]
    assert heard["stops"] >= 2 and heard["states"]["speaker"][:6] == [1, 2, 3, 1, 2, 3]  # two utterances
    assert heard["speech_bytes"] > 2 * 16000
    # the original VadDump: every frame in source, one file per utterance (the VAD's bytes)
    dump = heard["dump"]
    assert os.path.dirname(dump) == str(tmp_path / "vad")
    assert os.path.getsize(os.path.join(dump, "source_stream.pcm")) == heard["frames"] * 320
    utterances = [n for n in os.listdir(dump) if n.startswith("vad_stream_")]
    assert len(utterances) >= heard["stops"]
    assert sum(os.path.getsize(os.path.join(dump, n)) for n in utterances) == heard["speech_bytes"]


def test_encoded_video_through_media_node_factory_seen_byte_exact(janus, tmp_path):
    import video_source
    reason = video_source.missing_tools("h264")
    if reason:
        pytest.skip(reason)
    frames = video_source.h264_access_units(frames=30, keyint=10, fps=15)
    path = tmp_path / "frames.bin"
    with open(path, "wb") as f:
        for fr in frames:
            f.write(struct.pack("<BI", 1 if fr.keyframe else 0, len(fr.data)) + fr.data)
    sent_hashes = {hashlib.sha1(fr.data).hexdigest(): fr.keyframe for fr in frames}
    url = f"{janus.transport_url}?admin_key={janus.admin_key}&video=h264"
    receiver = start("encoded_video_receiver.py", "porting-video", "viewer", 40, 90, url=url, cwd=tmp_path)
    sender = start("encoded_video_sender.py", "porting-video", "camera", path, 15, url=url, cwd=tmp_path)
    try:
        seen = result(receiver, 120)["frames"]
    finally:
        sent = stop(sender)
    assert sent["sent"] >= 40 and sent["codes"].get("0", 0) >= 40
    assert len(seen) >= 40
    assert {f["uid"] for f in seen} == {"camera"}
    assert all(f["sha1"] in sent_hashes for f in seen)              # byte for byte as sent
    assert seen[0]["type"] == 3 and sent_hashes[seen[0]["sha1"]]     # starts on a keyframe
    assert all(f["type"] == (3 if sent_hashes[f["sha1"]] else 4) for f in seen)
    assert all(f["codec"] == 2 and f["size"] == [320, 240] for f in seen)


def test_echo_agent_sends_back_what_it_hears(janus, tmp_path):
    """The loopback example's sequence: frames heard are pushed back from the
    asyncio loop with ids packed into a start_pts above 2**62; the speaker (a
    VAD receiver that also sends) hears its own speech come back as utterances."""
    url = f"{janus.transport_url}?admin_key={janus.admin_key}"
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        speech = w.readframes(w.getnframes())
    pcm = tmp_path / "question.pcm"
    pcm.write_bytes(b"\x00" * 16000 + speech + b"\x00" * 32000)
    echo = start("echo_back_agent.py", "echo-room", "echo", 300, 90, url=url, cwd=tmp_path)
    listener = start("vad_dump_receiver.py", "echo-room", "listener", tmp_path / "vad", 2, 90, url=url, cwd=tmp_path)
    assert listener.stdout.readline().strip() == "READY"
    speaker = start("pcm_file_sender.py", "echo-room", "speaker", pcm, tmp_path / "logs", url=url, cwd=tmp_path)
    try:
        echoed = result(echo, 120)
        heard = result(listener, 120)
    finally:
        stop(speaker)
    assert echoed["echoed"] >= 300 and echoed["codes"] == {"0": echoed["echoed"]}
    # the listener hears both the speaker and the echo of the speaker, as speech
    assert sorted(heard["states"]) == ["echo", "speaker"]
    assert heard["states"]["echo"][:3] == [1, 2, 3]          # the echo is heard as an utterance


def _best_psnr(picture, candidates):
    import numpy as np
    x = np.frombuffer(picture, np.uint8).astype(np.float64)
    best = 0.0
    for c in candidates:
        mse = np.mean((x - np.frombuffer(c, np.uint8).astype(np.float64)) ** 2)
        best = max(best, 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse))
    return best


@pytest.mark.parametrize("video, fmt, enc_size", [("vp8", "i420", (208, 120)), ("h264", "rgba", (416, 240))])
def test_raw_video_sender_seen_by_raw_video_receiver(janus, tmp_path, video, fmt, enc_size):
    """The yuv / jpeg send and receive examples' sequence: the sender's frames are
    encoded (to the stream's codec: the H.264 it asks for is used when the room
    carries H.264) at the configured size; the receiver's frame observer gets
    pictures of that size that look like the pushed ones (ffmpeg's own scaling
    of the input is the reference); the low simulcast stream is refused with
    ERR_NOT_SUPPORTED."""
    import shutil
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg not installed")
    w, h, n = 416, 240, 30
    pattern = ["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=15", "-frames:v", str(n)]
    src = tmp_path / "source.raw"
    subprocess.run(["ffmpeg", "-v", "error", *pattern, "-pix_fmt", "yuv420p" if fmt == "i420" else "rgba",
                    "-f", "rawvideo", str(src)], check=True, timeout=60)
    ew, eh = enc_size
    reference = subprocess.run(["ffmpeg", "-v", "error", *pattern, "-vf", f"scale={ew}:{eh}", "-pix_fmt", "yuv420p",
                                "-f", "rawvideo", "-"], check=True, capture_output=True, timeout=60).stdout
    size = ew * eh * 3 // 2
    reference = [reference[i:i + size] for i in range(0, len(reference), size)]
    url = f"{janus.transport_url}?admin_key={janus.admin_key}&video={video}"
    out = tmp_path / "seen.yuv"
    receiver = start("raw_video_receiver.py", "porting-raw", "viewer", out, 20, 90, url=url, cwd=tmp_path)
    sender = start("raw_video_sender.py", "porting-raw", "camera", src, w, h, 15, fmt, ew, eh, url=url, cwd=tmp_path)
    try:
        seen = result(receiver, 120)["frames"]
    finally:
        sent = stop(sender)
    assert sent["simulcast"] == -4                                   # ERR_NOT_SUPPORTED: one stream
    assert sent["codes"].get("0", 0) >= 20 and set(sent["codes"]) <= {"0", "-3"}   # -3: before on_connected
    assert len(seen) == 20 and all(f["uid"] == "camera" and f["size"] == [ew, eh] for f in seen)
    pictures = out.read_bytes()
    assert len(pictures) == 20 * size
    scores = [_best_psnr(pictures[i * size:(i + 1) * size], reference) for i in range(20)]
    assert min(scores) > 24, scores
