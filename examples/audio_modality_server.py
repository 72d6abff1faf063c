"""An audio-modality LLM endpoint: POST /audio/chat/completions -> SSE.

The format of the Agora conversational AI engine's audio modalities (see the
convoai "server-audio-modalities" sample): one transcript message, then the
reply's audio as base64 PCM16 16 kHz mono chunks (40 ms each by default),
then ``data: [DONE]``. Standard library + numpy only (agora_rtc is not needed).

The "LLM" here is an echo: the reply text is "You said: <last user message>."
and its audio is synthesized with espeak-ng (resampled to 16 kHz), or, with
``--source wav`` (or when espeak-ng is missing), the recorded answer in
examples/assets/agent_answer.wav with its transcript.

Run:  python examples/audio_modality_server.py --port 8000
Then: curl -N -X POST http://127.0.0.1:8000/audio/chat/completions \
        -H "Authorization: Bearer any-key" -H "Content-Type: application/json" \
        -d '{"messages": [{"role": "user", "content": "hello"}], "stream": true}'
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
RATE = 16000
WAV_TRANSCRIPT = "It is sunny in Paris, twenty one degrees, with a light breeze."


def read_wav(data: bytes) -> tuple:
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("expected 16-bit PCM")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        if w.getnchannels() == 2:
            pcm = pcm.reshape(-1, 2).mean(axis=1).astype(np.int16)
        return w.getframerate(), pcm


def resample(pcm: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Linear interpolation (good enough for speech to an ASR or a listener)."""
    if src == dst or pcm.size == 0:
        return pcm
    n = int(round(pcm.size * dst / src))
    x = np.arange(n) * (src / dst)
    return np.interp(x, np.arange(pcm.size), pcm.astype(np.float64)).round().astype(np.int16)


def synthesize(text: str, source: str) -> tuple:
    """(transcript, 16 kHz mono int16 PCM)."""
    if source == "espeak" and shutil.which("espeak-ng"):
        # without LD_PRELOAD: under the sanitizer test run, espeak-ng would inherit ASan and hang
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
        wav = subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "165", "--stdout", text],
                             check=True, capture_output=True, timeout=30, env=env).stdout
        rate, pcm = read_wav(wav)
        return text, resample(pcm, rate, RATE)
    with open(os.path.join(ASSETS, "agent_answer.wav"), "rb") as fh:
        rate, pcm = read_wav(fh.read())
    return WAV_TRANSCRIPT, resample(pcm, rate, RATE)


def reply_text(messages) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user" and isinstance(msg.get("content"), str) and msg["content"].strip():
            return f"You said: {msg['content'].strip()}."
    return "Hello, I am an audio modality example."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    source = "espeak"
    chunk_ms = 40

    def log_message(self, fmt, *args):  # one line per request on stderr, not the default chatter
        sys.stderr.write(f"audio_modality_server: {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")

    def _error(self, code: int, message: str) -> None:
        body = json.dumps({"error": {"message": message, "code": code}}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path.rstrip("/") != "/audio/chat/completions":
            return self._error(404, f"no such endpoint: {self.path}")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
            return self._error(401, "missing Authorization: Bearer <api key>")
        try:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            messages = body["messages"]
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return self._error(400, 'the body must be JSON with "messages": [{"role", "content"}, ...]')
        try:
            transcript, pcm = synthesize(reply_text(messages), self.source)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            return self._error(500, f"synthesis failed: {exc}")

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        message_id, audio_id = f"chatcmpl-{uuid.uuid4().hex[:12]}", f"audio-{uuid.uuid4().hex[:12]}"

        def event(audio: dict) -> bytes:
            msg = {"id": message_id, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": {"audio": {"id": audio_id, **audio}},
                                "finish_reason": None}]}
            return f"data: {json.dumps(msg, ensure_ascii=False)}\n\n".encode("utf-8")

        try:
            self.wfile.write(event({"transcript": transcript}))
            raw = pcm.tobytes()
            step = RATE * 2 * self.chunk_ms // 1000
            for i in range(0, len(raw), step):
                self.wfile.write(event({"data": base64.b64encode(raw[i:i + step]).decode("ascii")}))
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client went away (e.g. the user interrupted): nothing more to send
        self.close_connection = True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    ap.add_argument("--source", choices=("espeak", "wav"), default="espeak")
    ap.add_argument("--chunk-ms", type=int, default=40)
    args = ap.parse_args(argv)
    if not 10 <= args.chunk_ms <= 1000:
        ap.error("--chunk-ms must be in 10..1000")
    Handler.source, Handler.chunk_ms = args.source, args.chunk_ms
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}/audio/chat/completions", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
