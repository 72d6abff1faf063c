"""A person talks to the agent from a real browser: headless Chromium (Debian
`chromium`) runs examples/web in a private network namespace with Janus, the
page server and the agent (examples/web_agent.py --netns). Chromium's fake
microphone plays recorded speech; the agent's VAD segments it and the agent
answers; the agent's video (VP8, or H.264 constrained baseline: one run each)
reaches the page's <video> and is decoded there in that codec, and the
browser's fake camera (whatever codec Janus picks for it, VP8 first) reaches
the agent's encoded observer; the page reports what its WebRTC stack received
(getStats inbound-rtp with each stream's codec, and an AnalyserNode level on
the agent's track) by POSTing JSON to the page server, which the script writes
to the report file read here."""
import json
import os
import shutil
import subprocess
import sys
import wave

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import video_source  # noqa: E402

from agora_rtc.janus import JANUS_MISSING_REASON, janus_available

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCRIPT = os.path.join(ROOT, "examples", "web_agent.py")
ASSETS = os.path.join(ROOT, "examples", "assets")
JS = ("/usr/share/javascript/janus-gateway/janus.js", "/usr/share/javascript/webrtc-adapter/adapter.js")


def _why_unavailable():
    if not janus_available():
        return JANUS_MISSING_REASON
    if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        return "no Chromium (Debian package `chromium`: apt-get install -y chromium)"
    missing = [p for p in JS if not os.path.isfile(p)]
    if missing:
        return f"{missing} missing (Debian packages libjs-janus-gateway and libjs-webrtc-adapter)"
    if not (shutil.which("unshare") and shutil.which("ip")):
        return "`unshare` (util-linux) and `ip` (iproute2) are needed for the private network namespace"
    probe = subprocess.run(["unshare", "--net", "--", "ip", "link", "add", "probe0", "type", "veth",
                            "peer", "name", "probe1"], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"})
    if probe.returncode != 0:
        return f"cannot create a network namespace with a veth pair (root needed): {probe.stderr.strip()}"
    return None


REASON = _why_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def fake_microphone(path):
    """The caller's question once, framed by silence (Chromium plays the file once: %noloop)."""
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        rate = w.getframerate()
        speech = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    pcm = np.concatenate([np.zeros(rate, np.int16), speech, np.zeros(6 * rate, np.int16)])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


MIME_TYPES = {"vp8": "video/VP8", "h264": "video/H264"}


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_browser_talks_to_agent_through_janus(tmp_path, codec):
    report_path = tmp_path / "report.json"
    cmd = [sys.executable, SCRIPT, "--netns", "--browser", "headless", "--port", "0",
           "--video-codec", codec,
           "--fake-audio", str(fake_microphone(tmp_path / "caller.wav")),
           "--report", str(report_path), "--until-answered", "--timeout", "90"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert report_path.exists(), f"no report\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    report = json.loads(report_path.read_text())
    context = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}\nreport:\n{json.dumps(report)[:4000]}"
    assert proc.returncode == 0 and report["ok"], context

    # the agent heard the browser's microphone through Janus and its VAD segmented it
    events = [(e["event"], e.get("uid")) for e in report["timeline"]]
    assert ("vad_start", "browser") in events, context
    assert events.index(("vad_start", "browser")) < events.index(("vad_stop", "browser")), context
    heard_ms = sum(e["speech_ms"] for e in report["timeline"] if e["event"] == "vad_stop")
    assert heard_ms >= 1000, context                       # a real utterance, not a blip
    pushed = [e for e in report["timeline"] if e["event"] == "answer_pushed"]
    assert pushed and all(e["rc"] == 0 for e in pushed), context
    rtp = report["agent_rtp"]
    assert rtp["frames_decoded"] > 100 and rtp["unknown_ssrc"] == 0 and rtp["decode_errors"] == 0, context
    assert rtp["packets_sent"] > 50, context                # the answer left as RTP/Opus

    # the browser received the answer: RTP packets, decoded audio energy, a non-silent level
    browser = report["browser"]
    assert browser["errors"] == [], context
    assert browser["outbound"]["packetsSent"] > 100, context  # its microphone was published
    inbound = browser["inbound"]
    assert inbound["packetsReceived"] >= 100, context
    assert inbound["totalAudioEnergy"] > 0.0, context
    assert browser["peakLevel"] >= 0.01, context

    # video both ways (the agent publishes a loop encoded by vpxenc or ffmpeg; see web_agent.py)
    video = report["agent_video"]
    if video is None:
        missing = video_source.missing_tools(codec)
        assert missing is not None, context
        pytest.skip(f"{missing}: the agent published no video")
    assert video["codec"] == codec, context
    inbound_video = browser["inboundVideo"]
    assert inbound_video and inbound_video["framesDecoded"] > 0, context       # the browser decoded it
    assert inbound_video["mimeType"] == MIME_TYPES[codec], context              # ... in that codec
    if codec == "h264":   # the room's h264_profile: Janus offered the mode our STAP-A/FU-A need
        assert "packetization-mode=1" in inbound_video["sdpFmtpLine"], context
    assert (inbound_video["frameWidth"], inbound_video["frameHeight"]) == (video["width"], video["height"]), context
    assert rtp["video_frames_sent"] > 0 and rtp["video_refused"] == 0, context
    # the browser's camera reached the agent's encoded observer, from a keyframe on
    received = video["received"]
    assert received["frames"] >= 5 and received["keyframes"] >= 1, context
    assert browser["outboundVideo"]["framesEncoded"] > 0, context


def test_browser_talks_to_the_speech_agent(tmp_path):
    """--speech: the browser's microphone says a flite sentence; the agent transcribes it
    (PocketSphinx, after Opus through Janus), answers about what was said, speaks the answer
    (flite), and the browser receives it."""
    pytest.importorskip("pocketsphinx")
    if shutil.which("flite") is None:
        pytest.skip("flite not installed")
    from agora_rtc.agent import TTSOptions, get_tts_model
    rate, speech = get_tts_model("flite").tts("What is the weather like in Paris today?",
                                              TTSOptions(voice="rms"))
    mic = tmp_path / "caller.wav"
    with wave.open(str(mic), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate([np.zeros(rate, np.int16), speech[0],
                                      np.zeros(6 * rate, np.int16)]).tobytes())
    report_path = tmp_path / "report.json"
    cmd = [sys.executable, SCRIPT, "--netns", "--browser", "headless", "--port", "0", "--no-video",
           "--speech", "--fake-audio", str(mic), "--report", str(report_path), "--until-answered",
           "--timeout", "90"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert report_path.exists(), f"no report\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    report = json.loads(report_path.read_text())
    context = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}\nreport:\n{json.dumps(report)[:4000]}"
    assert proc.returncode == 0 and report["ok"], context
    heard = [e for e in report["timeline"] if e["event"] == "heard"]
    assert heard, context
    words = heard[0]["text"].split()
    assert "weather" in words and "paris" in words, context          # transcribed after Opus
    assert heard[0]["reply"] == "I have no weather service, but I hope it is sunny in Paris.", context
    assert report["browser"]["inbound"]["packetsReceived"] >= 100, context
    assert report["browser"]["peakLevel"] >= 0.01, context


def test_browser_and_agent_exchange_messages_through_janus(tmp_path):
    """The page's data channel (janus.js in Chromium) and the agent's stream messages through
    the VideoRoom, both ways: the lines the page types in its text box (non-ASCII) reach the
    agent in order and are answered in the transcript; a binary message comes back byte for
    byte; audio metadata arrives as metadata; the page shows the agent's live state.
    The same run has the page as an RTM client (examples/web/rtm.js) with the agent's
    RTMClient: presence, channel messages both ways in order (non-ASCII text, binary, 32 KiB
    each way: 33 datagrams put back together), a user message each way, and the page
    leaving the channel."""
    say = ["héllo agent ✓", "第二行", "three"]
    rtm_say = ["rtm: ünïcode ✓", "rtm: 二", "rtm: 3"]
    binary, metadata = "0001fe80ff", "00ff10"
    report_path = tmp_path / "report.json"
    cmd = [sys.executable, SCRIPT, "--netns", "--browser", "headless", "--port", "0", "--no-video",
           "--fake-audio", str(fake_microphone(tmp_path / "caller.wav")),
           "--say-binary", binary, "--say-metadata", metadata,
           "--report", str(report_path), "--until-answered", "--timeout", "90"]
    for line in say:
        cmd += ["--say", line]
    for line in rtm_say:
        cmd += ["--rtm", line]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert report_path.exists(), f"no report\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    report = json.loads(report_path.read_text())
    context = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}\nreport:\n{json.dumps(report)[:4000]}"
    assert proc.returncode == 0 and report["ok"], context
    timeline = report["timeline"]
    # RTM: the page (rtm.js) -> the agent's RTMClient, in order, whole
    assert sorted(e["uid"] for e in timeline if e["event"] == "rtm_joined") == ["browser", "observer"], context
    assert [e["uid"] for e in timeline if e["event"] == "rtm_left"] == ["browser"], context   # unsubscribed
    assert [e["text"] for e in timeline if e["event"] == "rtm_text"] == rtm_say, context
    binaries = [e for e in timeline if e["event"] == "rtm_binary"]
    assert [(b["size"], b["hex"]) for b in binaries[:1]] == [(5, "0001feff80")], context
    assert [(b["size"], b["big_ok"]) for b in binaries[1:]] == [(32 * 1024, True)], context
    assert [(e["uid"], e["text"]) for e in timeline if e["event"] == "rtm_user_message"] == \
        [("browser", rtm_say[0])], context
    assert report["agent_rtm"]["dropped_messages"] == 0, context
    # ... and the agent -> the page: welcome, answers in order, the echoes, the user message
    page_rtm = report["browser"]["rtm"]
    assert page_rtm["done"] and page_rtm["bigEchoOk"] and page_rtm["dropped"] == 0, context
    assert page_rtm["clientErrors"] == [], context
    texts = [m["text"] for m in page_rtm["received"] if m["channelType"] == "MESSAGE" and "text" in m]
    assert [t for t in texts if t != "welcome browser"] == [f"You wrote: {t}" for t in rtm_say], context
    assert texts[0] == "welcome browser", context
    assert {m["publisher"] for m in page_rtm["received"] if m.get("text") != "welcome browser"} == {"agent"}, context
    assert sorted(page_rtm["welcomedBy"]) == ["agent", "observer"], context   # two members' data
    assert [m["text"] for m in page_rtm["received"] if m["channelType"] == "USER"] == \
        [f"just for you: {rtm_say[0]}"], context
    snapshot = [p for p in page_rtm["presence"] if p["type"] == "SNAPSHOT"]
    assert snapshot and "agent" in snapshot[0]["users"], context
    # the browser -> the agent: every line, in order, byte for byte; binary and metadata
    assert [e["text"] for e in timeline if e["event"] == "text_received"] == say, context
    assert all(e["uid"] == "browser" for e in timeline if e["event"].endswith("_received")), context
    assert [e["hex"] for e in timeline if e["event"] == "binary_received"] == [binary], context
    assert [e["hex"] for e in timeline if e["event"] == "metadata_received"] == [metadata], context
    # the agent -> the browser: the answers in the transcript, the binary echo, the state
    browser = report["browser"]
    assert browser["errors"] == [], context
    texts = [json.loads(m["data"]) for m in browser["received"] if m["kind"] == "text"]
    answers = [m["text"] for m in texts if m["type"] == "transcript" and m["who"] == "agent"]
    assert [a for a in answers if a.startswith("You wrote: ")] == [f"You wrote: {t}" for t in say], context
    assert [m["data"] for m in browser["received"] if m["kind"] == "binary"] == [binary], context
    states = [m["state"] for m in texts if m["type"] == "state"]
    assert {"listening", "hearing", "speaking"} <= set(states), context    # live, from the VAD on
    assert all(m["label"] == str(report["agent_publisher"]) for m in browser["received"]), context
    assert f"Agent: You wrote: {say[0]}" in browser["transcript"], context  # shown on the page
    rtp = report["agent_rtp"]
    assert rtp["messages_received"] == len(say) + 1 and rtp["metadata_received"] == 1, context
    assert rtp["data_dropped"] == 0 and rtp["data_unsent"] == 0, context
