"""Talk to the demo agent from a web browser, through a private Janus 1.1.2.

This script starts Janus (`JanusServer`, loopback only), serves the page in
``examples/web`` (Debian's janus.js + adapter.js) and runs a voice agent on
the ``janus`` transport. The page joins the agent's VideoRoom as a WebRTC
publisher (your microphone) and subscribes to the agent's feed. The agent
hears you frame by frame with VAD (the demo agent's logic, examples/demo_agent.py),
answers each finished utterance with recorded speech (examples/assets) and
stops talking when you talk over it (barge-in, interrupt_audio()).

Video: the agent also publishes a test pattern (encoded once at start,
examples/video_source.py: VP8 by ``vpxenc`` from Debian ``vpx-tools``, or with
``--video-codec h264`` H.264 constrained baseline by ``ffmpeg``/libx264, sent
with ``video=h264`` in the transport URL; then looped at 30 fps with
push_video_encoded_data, so the loop costs no encoding); when Janus
asks for a keyframe (a browser subscribed: on_intra_request_received) the
loop jumps to its next keyframe at once. The page shows that video and
publishes the browser's camera, which the agent subscribes to encoded-only
and counts (keyframes, size). Without the encoder the agent is audio only.

Janus never gathers ICE candidates on loopback interfaces, so the browser must
reach it through a non-loopback interface. Two ways:

* ``--netns`` (root, Linux): everything runs in a private network namespace
  (``unshare -n``) with ``lo`` up and a veth pair carrying 127.0.0.2; Janus
  gathers ICE on that veth only. Nothing is reachable from outside the
  namespace, so the browser runs inside it too: ``--browser headless`` (what
  the end-to-end test uses; Chromium's fake microphone plays ``--fake-audio``)
  or ``--browser chromium`` (a window on your desktop: X11/Wayland and
  PulseAudio sockets are files, which a network namespace does not hide).
      sudo python examples/web_agent.py --netns --browser chromium
* ``--ice-interface IFACE``: no namespace; Janus gathers ICE on IFACE only
  (e.g. a private bridge or your LAN interface: its address is then in the
  SDP and Janus's media ports are bound on it). The API and the page stay on
  127.0.0.1; open the printed URL in any browser on this machine.
      python examples/web_agent.py --ice-interface eth0

With ``--report FILE`` the page POSTs its WebRTC statistics (getStats) and the
level it measures on the agent's audio to the page server, and the script
writes them, with the agent's timeline, to FILE as JSON when it exits
(``--until-answered`` exits once the browser has received the agent's answer,
``--timeout`` bounds the run). tests/test_browser_e2e.py drives it that way.

Messages (stream messages through Janus: the VideoRoom's data channels).
The agent tells the page its state (``{"type": "state", "state": ..., "hears": [user ids]}``:
listening, hearing, thinking, speaking; again every second; "hears" lists the users whose
messages reach it) and its live
transcript (``{"type": "transcript", "who": "you" | "agent", "text": ...}``)
as JSON text messages; the page shows them. What you type in the page's
text box reaches the agent as a text message, which it answers in the
transcript (with ``--speech`` it also speaks the answer); a binary message
comes back as it is (an echo), and audio metadata (a binary message behind
the ``\xffamd`` tag) is noted in the timeline. ``--say TEXT`` (repeatable)
makes the headless page type those lines once the agent's messages reach it;
``--until-answered`` then also waits until every line was answered.

RTM (``--rtm TEXT``, repeatable): the page is also an RTM client (``examples/web/rtm.js``)
and the agent has an ``agora_rtc.rtm`` RTMClient through the same Janus, both in channel
"chat" of app "web-demo", with a second RTM user there ("observer", which only welcomes).
The page says "hello" until both welcomed it, then publishes
each TEXT, a binary message, a 32 KiB binary message and a user message to the agent; the
agent answers each text on the channel, echoes the binary ones (the 32 KiB one too) and
answers the user message with one of its own; the page then unsubscribes (the agent sees
it leave). ``--until-answered`` waits for all of it.

With ``--speech`` the agent answers what you said instead of playing a
recording: each utterance is transcribed on the device (PocketSphinx), an
answer picked by examples/speech_agent.py's rules, and spoken (flite); the
timeline gets a "heard" entry with the transcript and the answer. Needs
``pip install 'agora_rtc[speech]'`` and ``apt-get install flite``.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # demo_agent, when run from anywhere

import agora_rtc as ar  # noqa: E402
from agora_rtc import rtm  # noqa: E402
from agora_rtc.janus import JanusServer  # noqa: E402
from agora_rtc.janus.link import janus_id  # noqa: E402
from demo_agent import RATE, Agent, Timeline, load_wav, ms  # noqa: E402
import video_source  # noqa: E402

WEB_DIR = HERE / "web"
JS_DIRS = {"janus.js": Path("/usr/share/javascript/janus-gateway/janus.js"),
           "adapter.js": Path("/usr/share/javascript/webrtc-adapter/adapter.js")}
CHANNEL, AGENT_UID = "web-demo", "agent"
RTM_APP, RTM_CHANNEL = "web-demo", "chat"   # --rtm: the page's RTM client meets the agent's there
RTM_OBSERVER = "observer"                    # --rtm: a second RTM user in the channel (only welcomes)
NETNS_ADDR, NETNS_VETH, NETNS_PEER = "127.0.0.2", "agora-web0", "agora-web1"
_IN_NETNS_ENV = "AGORA_RTC_WEB_AGENT_NETNS"

#: Chromium flags for a browser without a person (JANUS.md "Browser tests").
HEADLESS_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--mute-audio"]


# ------------------------------------------------------------------ network namespace

def enter_netns(argv) -> int:
    """Run this script again inside a private network namespace (needs root)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        raise SystemExit("--netns needs `unshare` (util-linux) and `ip` (iproute2)")
    env = dict(os.environ, **{_IN_NETNS_ENV: "1"})
    proc = subprocess.Popen(["unshare", "--net", "--", sys.executable, str(Path(__file__).resolve())]
                            + list(argv), env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        return proc.wait()


def _tool_env() -> dict:
    """External programs (ip, Chromium) do not inherit our LD_PRELOAD: a sanitizer
    runtime preloaded for the Python process (CI's sanitizer run) is not meant for them."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def setup_netns() -> None:
    """Inside the fresh namespace: lo up, a veth pair carrying 127.0.0.2 (Janus skips
    loopback interfaces; a 127/8 address on a veth is still delivered locally). The
    namespace, and its interfaces, vanish when the last process in it exits."""
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "link", "add", NETNS_VETH, "type", "veth", "peer", "name", NETNS_PEER],
                ["ip", "addr", "add", f"{NETNS_ADDR}/32", "dev", NETNS_VETH],
                ["ip", "link", "set", NETNS_VETH, "up"],
                ["ip", "link", "set", NETNS_PEER, "up"]):
        subprocess.run(cmd, check=True, env=_tool_env())


# ------------------------------------------------------------------ the page server

class PageServer(ThreadingHTTPServer):
    """Serves the page, janus.js, adapter.js, config.json; receives POST /report."""
    daemon_threads = True

    def __init__(self, addr, config: dict):
        super().__init__(addr, _PageHandler)
        self.page_config = config
        self.reports: "queue.Queue[dict]" = queue.Queue()
        self.last_report: Optional[dict] = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class _PageHandler(BaseHTTPRequestHandler):
    server: PageServer
    TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
             ".json": "application/json"}

    def log_message(self, fmt, *args):  # quiet: the agent timeline is the output
        pass

    def _send(self, body: bytes, ctype: str, status=HTTPStatus.OK):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.split("?", 1)[0].lstrip("/") or "index.html"
        if name == "config.json":
            return self._send(json.dumps(self.server.page_config).encode(), self.TYPES[".json"])
        path = JS_DIRS.get(name) or (WEB_DIR / name if name in ("index.html", "app.js", "rtm.js") else None)
        if path is None or not path.is_file():
            return self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)
        self._send(path.read_bytes(), self.TYPES.get(path.suffix, "application/octet-stream"))

    def do_POST(self):
        if self.path.split("?", 1)[0] != "/report":
            return self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)
        n = int(self.headers.get("Content-Length") or 0)
        try:
            report = json.loads(self.rfile.read(n).decode())
        except ValueError:
            return self._send(b"bad json", "text/plain", HTTPStatus.BAD_REQUEST)
        self.server.last_report = report
        self.server.reports.put(report)
        self._send(b"{}", self.TYPES[".json"])


# ------------------------------------------------------------------ the agent

class PageMessages(ar.IRTCLocalUserObserver):
    """The agent's local-user observer: stream messages and audio metadata from the
    page go to the agent's worker queue; keyframe requests to the video loop."""

    def __init__(self, events: "queue.Queue[tuple]", video=None):
        self.events = events
        self.video = video

    def on_stream_message(self, local_user, user_id, stream_id, data, length):
        self.events.put(("message", user_id, bytes(data)))

    def on_audio_meta_data_received(self, local_user, user_id, data):
        self.events.put(("metadata", user_id, bytes(data)))

    def on_intra_request_received(self, local_user):
        if self.video is not None:
            self.video.on_intra_request_received(local_user)


class VideoLoop(ar.IVideoEncodedFrameObserver):
    """The agent's camera: pre-encoded frames (VP8 or H.264) pushed in a loop at 30 fps.
    A keyframe request (on_intra_request_received) makes the next frame pushed
    the loop's next keyframe. Also counts the encoded frames received from the
    browser's camera."""

    FPS = 30

    CODEC_TYPES = {"vp8": ar.VideoCodecType.VIDEO_CODEC_VP8, "h264": ar.VideoCodecType.VIDEO_CODEC_H264}

    def __init__(self, conn, frames, codec="vp8"):
        self.conn = conn
        self.frames = frames
        self.codec = codec
        self.keys = [i for i, f in enumerate(frames) if f.keyframe]
        self.intra = threading.Event()
        self.intra_requests = 0
        self.sent = 0
        self.received = {"frames": 0, "keyframes": 0, "width": 0, "height": 0, "bytes": 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="web-agent-video", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def on_intra_request_received(self, local_user):
        self.intra_requests += 1
        self.intra.set()

    def on_encoded_video_frame(self, uid, image_buffer, length, info):
        with self._lock:
            r = self.received
            r["frames"] += 1
            r["bytes"] += length
            if info.frame_type == 3:
                r["keyframes"] += 1
                r["width"], r["height"] = info.width, info.height

    def _run(self):
        i, tick, t0 = 0, 0, time.monotonic()
        period = 1.0 / self.FPS
        while not self._stop.wait(max(0.0, t0 + tick * period - time.monotonic())):
            if self.intra.is_set():
                self.intra.clear()
                i = next((k for k in self.keys if k >= i), self.keys[0])
            f = self.frames[i]
            info = ar.EncodedVideoFrameInfo(codec_type=self.CODEC_TYPES[self.codec],
                                            width=f.width, height=f.height,
                                            frames_per_second=self.FPS,
                                            frame_type=3 if f.keyframe else 4,
                                            capture_time_ms=int(tick * 1000 / self.FPS) + 1)
            tick += 1   # before on_connected pushes return ERR_NOT_READY: the clock goes on
            if self.conn.push_video_encoded_data(f.data, info) == 0:
                self.sent += 1
            i = (i + 1) % len(self.frames)


class WebAgent:
    """The demo agent on the janus transport: answers each utterance it hears,
    stops talking when the caller talks over it. Records a timeline. With
    `video_frames` (of `video_codec`, the codec the service's transport URL
    publishes), publishes them in a loop and takes the browser's video."""

    def __init__(self, service, log: Timeline, answer, video_frames=None, video_codec="vp8", speech=None):
        self.log = log
        self.answer = answer
        self.speech = speech        # SpeechAnswer: answer what was said, not the recording
        self.obs = Agent(log)
        self.timeline: list = []
        self.answers = 0
        self.conn = service.create_rtc_connection(ar.RTCConnConfig())
        self.conn.register_observer(self.obs)
        self.conn.register_audio_frame_observer(self.obs, 1, ar.AudioVadConfigV2())
        self.video = None
        if video_frames:
            self.video = VideoLoop(self.conn, video_frames, video_codec)
            self.conn.register_video_encoded_frame_observer(self.video)
            self.conn.get_local_user().subscribe_all_video(
                ar.VideoSubscriptionOptions(encodedFrameOnly=True))
        self.conn.register_local_user_observer(PageMessages(self.obs.events, self.video))
        self.state = "listening"
        self.texts_answered = 0
        self._state_sent = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="web-agent", daemon=True)

    # ---- messages to the page (JSON text on the data channel) ----

    def _tell(self, **message) -> None:
        rc = self.conn.send_stream_message(json.dumps(message, ensure_ascii=False))
        if rc != 0:   # not connected yet, or over Agora's per-second limits
            self.log("agent", f"message not sent ({rc}): {message}")

    def set_state(self, state: str) -> None:
        self.state = state
        self._state_sent = time.monotonic()
        self._tell(type="state", state=state, hears=sorted(self.obs.users))

    def transcript(self, who: str, text: str) -> None:
        self._tell(type="transcript", who=who, text=text)

    def _on_message(self, uid: str, data: bytes) -> None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.note("binary_received", uid=uid, hex=data.hex())
            self.log("agent", f"{len(data)} binary bytes from {uid!r}: echoed")
            rc = self.conn.send_stream_message(data)
            self.note("binary_echoed", rc=rc)
            return
        self.note("text_received", uid=uid, text=text)
        self.transcript("you", text)
        if self.speech is not None:
            said = self.speech.rule(text)
            self.transcript("agent", said)
            rate, audio = self.speech.tts.tts(said, self.speech.voice)
            self.conn.push_audio_pcm_data(np.ascontiguousarray(audio[0]), rate, 1)
            self.set_state("speaking")
        else:
            said = f"You wrote: {text}"
            self.transcript("agent", said)
        self.texts_answered += 1
        self.note("text_answered", text=said)
        self.log("agent", f"{uid!r} wrote {text!r}; answered {said!r}")

    def note(self, event: str, **info) -> None:
        self.timeline.append(dict(t=round(time.monotonic() - self.log.t0, 3), event=event, **info))

    def start(self) -> None:
        self.conn.connect("", CHANNEL, AGENT_UID)
        self.conn.publish_audio()
        if self.video is not None:
            self.conn.publish_video()
            self.video.start()
        self._thread.start()

    def video_report(self) -> Optional[dict]:
        if self.video is None:
            return None
        return {"codec": self.video.codec, "sent": self.video.sent,
                "intra_requests": self.video.intra_requests,
                "received": dict(self.video.received),
                "width": self.video.frames[0].width, "height": self.video.frames[0].height}

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.state == "speaking" and self.conn.is_push_to_rtc_completed():
                self.set_state("listening")
            elif time.monotonic() - self._state_sent >= 1.0:
                self.set_state(self.state)       # a page that just subscribed learns it
            try:
                kind, uid, info = self.obs.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "message":
                self._on_message(uid, info)
            elif kind == "metadata":
                self.note("metadata_received", uid=uid, hex=info.hex())
            elif kind == "start":
                self.set_state("hearing")
                self.note("vad_start", uid=uid)
                self.log("agent", f"VAD start: {uid!r} speaks")
                if not self.conn.is_push_to_rtc_completed():
                    self.conn.interrupt_audio()
                    rep = self.conn.last_interrupt
                    self.note("interrupted", sent_ms=rep.sent_ms, dropped_ms=rep.dropped_ms)
                    self.log("agent", f"barge-in: interrupt_audio() after {rep.sent_ms} ms of the answer")
            elif kind == "stop" and self.speech is not None:
                self.note("vad_stop", uid=uid, speech_ms=round(ms(len(info))))
                self.set_state("thinking")
                heard, said, pcm = self.speech(info)
                self.log("agent", f"VAD stop: heard {heard!r}; says {said!r}")
                self.note("heard", uid=uid, text=heard, reply=said)
                self.transcript("you", heard)
                self.transcript("agent", said)
                rc = self.conn.push_audio_pcm_data(pcm, RATE, 1)
                self.set_state("speaking")
                self.answers += 1
                self.note("answer_pushed", rc=rc, answer_ms=round(len(pcm) / RATE * 1000))
            elif kind == "stop":
                self.note("vad_stop", uid=uid, speech_ms=round(ms(len(info))))
                self.log("agent", f"VAD stop: {ms(len(info)):.0f} ms utterance from {uid!r}; answering "
                                  f"({len(self.answer) / RATE:.2f} s of recorded speech)")
                self.transcript("you", f"({ms(len(info)) / 1000:.1f} s of speech)")
                self.transcript("agent", f"(a recorded answer, {len(self.answer) / RATE:.1f} s)")
                rc = self.conn.push_audio_pcm_data(self.answer, RATE, 1)
                self.set_state("speaking")
                self.answers += 1
                self.note("answer_pushed", rc=rc, answer_ms=round(len(self.answer) / RATE * 1000))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self.video is not None:
            self.video.stop()
        self.conn.disconnect()
        self.conn.release()


def rtm_big_message() -> bytes:
    """The 32 KiB binary message the page sends with --rtm (examples/web/app.js, rtmBig)."""
    return bytes((i * 7 + 3) & 255 for i in range(32 * 1024))


class RtmAgent(rtm.IRtmEventHandler):
    """--rtm: the agent's RTM client (through the same Janus) in channel RTM_CHANNEL: it
    answers "hello" with "welcome <user>" (each side hears the other only once Janus
    forwards its data, so the page says hello until it is welcomed), answers each text message on the channel, echoes
    each binary one (a 32 KiB one too) and answers a user message with a user message.
    With answers=False (the observer: a second member, so the page subscribes to two) it
    only welcomes and notes nothing."""

    def __init__(self, timeline: list, user_id: str = AGENT_UID, answers: bool = True):
        self.timeline, self.answers = timeline, answers
        self.client = rtm.create_rtm_client(rtm.RtmConfig(app_id=RTM_APP, user_id=user_id,
                                                          event_handler=self))
        self.subscribed = threading.Event()

    def start(self) -> None:
        self.client.login("")

    def on_login_result(self, request_id, error_code):
        self.note("rtm_login", rc=error_code)
        self.client.subscribe(RTM_CHANNEL, rtm.SubscribeOptions(with_presence=True, be_quiet=False))

    def on_subscribe_result(self, request_id, channel_name, error_code):
        self.note("rtm_subscribed", rc=error_code)
        self.subscribed.set()

    def on_presence_event(self, event):
        if event.type == rtm.RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL:
            self.note("rtm_joined", uid=event.publisher)
        elif event.type == rtm.RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_LEAVE_CHANNEL:
            self.note("rtm_left", uid=event.publisher)

    def on_message_event(self, event):
        data, user = bytes(event.message), event.channel_type == rtm.RtmChannelType.RTM_CHANNEL_TYPE_USER
        if event.message_type == rtm.RtmMessageType.RTM_MESSAGE_TYPE_STRING:
            text = data.decode("utf-8")
            if text == "hello" and not user:   # the page asks until it hears us
                self.client.publish(RTM_CHANNEL, f"welcome {event.publisher}")
                return
            if not self.answers or text.startswith("welcome "):   # not another member's welcome
                return
            self.note("rtm_user_message" if user else "rtm_text", uid=event.publisher, text=text)
            if user:
                self.client.publish(event.publisher, f"just for you: {text}", rtm.PublishOptions(
                    channel_type=rtm.RtmChannelType.RTM_CHANNEL_TYPE_USER,
                    message_type=rtm.RtmMessageType.RTM_MESSAGE_TYPE_STRING))
            else:
                self.client.publish(RTM_CHANNEL, f"You wrote: {text}")
        elif self.answers:
            self.note("rtm_binary", uid=event.publisher, size=len(data),
                      big_ok=data == rtm_big_message(), hex=data.hex() if len(data) <= 64 else None)
            self.client.publish(RTM_CHANNEL, data)

    def note(self, event: str, **info) -> None:
        if self.answers:
            self.timeline.append(dict(event=event, **info))

    def stop(self) -> dict:
        report = {"dropped_messages": self.client.dropped_messages,
                  "malformed_datagrams": self.client.malformed_datagrams}
        self.client.release()
        return report


class SpeechAnswer:
    """Utterance bytes (16 kHz mono int16) -> (transcript, answer, answer PCM at 16 kHz)."""

    def __init__(self):
        from agora_rtc.agent import TTSOptions, get_stt_model, get_tts_model
        from speech_agent import answer
        self.stt, self.tts, self.rule = get_stt_model(), get_tts_model("flite"), answer
        self.voice = TTSOptions(voice="slt")        # 16 kHz

    def __call__(self, utterance: bytes):
        heard = self.stt.stt((RATE, np.frombuffer(utterance, np.int16)))
        said = self.rule(heard)
        rate, audio = self.tts.tts(said, self.voice)
        assert rate == RATE
        return heard, said, np.ascontiguousarray(audio[0])


# ------------------------------------------------------------------ the browser

def chromium_binary() -> Optional[str]:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def start_browser(kind: str, url: str, fake_audio: Optional[str], profile: str) -> subprocess.Popen:
    binary = chromium_binary()
    if binary is None:
        raise SystemExit("--browser: no chromium on PATH (Debian: apt-get install chromium)")
    if kind == "headless":
        flags = list(HEADLESS_FLAGS)
        if fake_audio:
            # %noloop: the file plays once, then the fake microphone is silent
            flags.append(f"--use-file-for-fake-audio-capture={os.path.abspath(fake_audio)}%noloop")
    else:
        flags = ["--no-first-run", "--allow-loopback-in-peer-connection"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")
    return subprocess.Popen([binary, *flags, f"--user-data-dir={profile}", url],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=_tool_env())


def stop_browser(proc: subprocess.Popen) -> None:
    """SIGTERM the browser we started (its own process group: its helpers follow)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def messages_answered(report: Optional[dict], say, say_binary) -> bool:
    """The page received the agent's answer to each line it typed, and the echo of
    each binary message it sent."""
    received = (report or {}).get("received") or []
    answers = set()
    for m in received:
        if m.get("kind") == "text":
            try:
                msg = json.loads(m["data"])
            except ValueError:
                continue
            if msg.get("type") == "transcript" and msg.get("who") == "agent":
                answers.add(msg.get("text"))
    echoes = {m["data"] for m in received if m.get("kind") == "binary"}
    return (all(f"You wrote: {t}" in answers for t in say)
            and all(h in echoes for h in say_binary))


def answered(report: Optional[dict], min_packets: int, min_level: float,
             min_video_frames: int = 0) -> bool:
    """The browser received the agent's answer: RTP packets and a non-silent
    level (and, when the agent publishes video, decoded video frames)."""
    if not report or not report.get("inbound"):
        return False
    inbound = report["inbound"]
    video = report.get("inboundVideo") or {}
    return (inbound.get("packetsReceived", 0) >= min_packets
            and report.get("peakLevel", 0.0) >= min_level
            and inbound.get("totalAudioEnergy", 0.0) > 0.0
            and video.get("framesDecoded", 0) >= min_video_frames)


# ------------------------------------------------------------------ main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netns", action="store_true",
                   help="run in a private network namespace with a veth carrying 127.0.0.2 (root)")
    p.add_argument("--ice-interface", action="append", default=[],
                   help="interface Janus gathers ICE candidates on (without --netns)")
    p.add_argument("--port", type=int, default=8000, help="page server port (0: any)")
    p.add_argument("--browser", choices=("none", "chromium", "headless"), default="none",
                   help="start a browser on the page (headless: Chromium's fake microphone)")
    p.add_argument("--fake-audio", help="wav file the headless browser's microphone plays once")
    p.add_argument("--report", help="write the agent timeline and the browser's stats to this JSON file")
    p.add_argument("--until-answered", action="store_true",
                   help="exit once the browser has received the agent's answer")
    p.add_argument("--min-packets", type=int, default=100,
                   help="--until-answered: RTP packets of the answer the browser must receive")
    p.add_argument("--min-level", type=float, default=0.01,
                   help="--until-answered: peak RMS (0..1) the browser must measure on the answer")
    p.add_argument("--min-video-frames", type=int, default=30,
                   help="--until-answered: video frames of the agent the browser must decode "
                        "(when the agent publishes video)")
    p.add_argument("--agent-video-frames", type=int, default=5,
                   help="--until-answered: frames of the browser's camera the agent must receive "
                        "(when the agent publishes video)")
    p.add_argument("--no-video", action="store_true", help="the agent publishes and takes no video")
    p.add_argument("--video-codec", choices=("vp8", "h264"), default="vp8",
                   help="codec of the agent's video: vp8 (vpxenc) or h264 (ffmpeg/libx264, "
                        "constrained baseline)")
    p.add_argument("--speech", action="store_true",
                   help="answer what was said (PocketSphinx + flite) instead of a recording")
    p.add_argument("--say", action="append", default=[],
                   help="a line the headless page types in its text box (repeatable)")
    p.add_argument("--say-binary", action="append", default=[],
                   help="hex bytes the page sends as a binary message (repeatable; echoed back)")
    p.add_argument("--say-metadata", action="append", default=[],
                   help="hex bytes the page sends as audio metadata (repeatable)")
    p.add_argument("--rtm", action="append", default=[],
                   help="a line the page sends over RTM (its RTM client, web/rtm.js, on channel "
                        f"{RTM_CHANNEL!r}; repeatable), then a binary and a 32 KiB message and a "
                        "user message; the agent's RTM client answers")
    p.add_argument("--timeout", type=float, default=0.0, help="exit after this many seconds (0: never)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.netns and os.environ.get(_IN_NETNS_ENV) != "1":
        return enter_netns(argv)
    if args.netns:
        setup_netns()
        host, ice = NETNS_ADDR, [NETNS_VETH]
    else:
        host, ice = "127.0.0.1", args.ice_interface
    if args.browser != "none" and not args.netns and not ice:
        print("note: without --netns or --ice-interface Janus offers the browser no candidate "
              "it can reach on this host", file=sys.stderr)

    log = Timeline()
    answer = load_wav("agent_answer.wav")
    frames = None
    if not args.no_video:
        missing = video_source.missing_tools(args.video_codec)
        if missing:
            log("video", f"no video: {missing}")
        elif args.video_codec == "vp8":
            frames = video_source.vp8_frames(width=320, height=240, frames=60, keyint=30)
            log("video", f"{len(frames)} VP8 frames 320x240 encoded by vpxenc; looped at 30 fps")
        else:
            frames = video_source.h264_access_units(width=320, height=240, frames=60, keyint=30)
            log("video", f"{len(frames)} H.264 access units 320x240 (constrained baseline) encoded "
                         f"by ffmpeg/libx264; looped at 30 fps")
    video_option = f"&video={args.video_codec if frames else 'none'}"
    profile = tempfile.TemporaryDirectory(prefix="agora-web-browser-")
    browser = None
    report_path = Path(args.report) if args.report else None
    result = {"ok": False}
    with JanusServer(host=host, ice_interfaces=ice) as janus:
        log("janus", f"started (pid {janus.pid}) at {janus.url}; ICE on {ice or 'all non-loopback'}")
        config = ar.AgoraServiceConfig(appid="web-demo",
                                       transport_url=f"{janus.transport_url}?admin_key={janus.admin_key}"
                                                     f"{video_option}")
        pages = PageServer((host, args.port), {"janus": janus.url, "room": janus_id(CHANNEL),
                                               "agent": AGENT_UID, "display": "browser",
                                               "say": args.say, "sayBinary": args.say_binary,
                                               "sayMetadata": args.say_metadata,
                                               "rtm": ({"app": RTM_APP, "channel": RTM_CHANNEL,
                                                        "agent": AGENT_UID, "say": args.rtm,
                                                        "members": [AGENT_UID, RTM_OBSERVER]}
                                                       if args.rtm else None)})
        threading.Thread(target=pages.serve_forever, name="page-server", daemon=True).start()
        page_url = pages.url + ("?autostart=1&report=1" if args.browser == "headless" else
                                "?report=1" if report_path else "")
        with ar.AgoraService(config) as service:
            agent = WebAgent(service, log, answer, frames, args.video_codec,
                             SpeechAnswer() if args.speech else None)
            agent.start()
            rtm_agent = rtm_observer = None
            if args.rtm:   # the agent's RTM client rides the same Janus
                os.environ["AGORA_RTC_TRANSPORT_URL"] = f"{janus.transport_url}?admin_key={janus.admin_key}&video=none"
                rtm_agent = RtmAgent(agent.timeline)
                rtm_observer = RtmAgent([], RTM_OBSERVER, answers=False)
                for a in (rtm_agent, rtm_observer):
                    a.start()
                    if not a.subscribed.wait(30):   # the page's rooms exist from then on
                        log("rtm", "an RTM client of the agent did not subscribe within 30 s")
            log("web", f"open {page_url}")
            try:
                if args.browser != "none":
                    browser = start_browser(args.browser, page_url, args.fake_audio, profile.name)
                    log("browser", f"{args.browser} started (pid {browser.pid})")
                deadline = time.monotonic() + args.timeout if args.timeout > 0 else None
                while deadline is None or time.monotonic() < deadline:
                    try:
                        report = pages.reports.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    video_ok = (frames is None or
                                agent.video.received["keyframes"] > 0 and
                                agent.video.received["frames"] >= args.agent_video_frames)
                    messages_ok = (not (args.say or args.say_binary or args.say_metadata) or
                                   messages_answered(report, args.say, args.say_binary) and
                                   sum(e["event"] == "metadata_received" for e in agent.timeline)
                                   >= len(args.say_metadata))
                    rtm_ok = not args.rtm or (bool((report.get("rtm") or {}).get("done")) and
                                              any(e["event"] == "rtm_left" for e in agent.timeline))
                    if (args.until_answered and agent.answers > 0 and video_ok and messages_ok and rtm_ok
                            and answered(report, args.min_packets, args.min_level,
                                         args.min_video_frames if frames else 0)):
                        result["ok"] = True
                        log("browser", f"received the answer: {report['inbound'].get('packetsReceived')} "
                                       f"packets, peak level {report['peakLevel']:.3f}")
                        break
            except KeyboardInterrupt:
                pass
            finally:
                if browser is not None:
                    stop_browser(browser)
                stats = agent.conn._rtp_stats()
                video = agent.video_report()
                rtm_report = rtm_agent.stop() if rtm_agent is not None else None
                if rtm_observer is not None:
                    rtm_observer.stop()
                agent.stop()
                pages.shutdown()
                pages.server_close()
        result.update(timeline=agent.timeline, browser=pages.last_report, agent_rtp=stats,
                      agent_video=video, agent_publisher=janus_id(AGENT_UID), agent_rtm=rtm_report,
                      janus_log_tail=janus.log_tail(20))
    profile.cleanup()
    if report_path is not None:
        report_path.write_text(json.dumps(result, indent=1, default=str))
    log("web", "bye")
    return 0 if result["ok"] or not args.until_answered else 1


if __name__ == "__main__":
    sys.exit(main())
