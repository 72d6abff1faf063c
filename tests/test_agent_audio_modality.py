"""AudioModalityClient against the example endpoint (a real HTTP server on
loopback, started by the test), played into a connection on the local network."""
import base64
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from agora_rtc.agent import (AudioChunkEvent, AudioModalityClient, AudioModalityError, ReplyOnPause,
                             TranscriptEvent, parse_sse_events)
from conftest import barrier, join

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


@pytest.fixture(scope="module")
def endpoint():
    proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "audio_modality_server.py"),
                             "--port", "0", "--chunk-ms", "40"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        yield line.split()[-1]
    finally:
        proc.terminate()
        proc.wait(10)


def test_stream_has_transcript_then_40ms_chunks(endpoint):
    client = AudioModalityClient(endpoint, "any-key")
    events = list(client.stream([{"role": "user", "content": "what time is it"}]))
    assert isinstance(events[0], TranscriptEvent)
    assert events[0].transcript == "You said: what time is it."
    chunks = events[1:]
    assert len(chunks) > 10 and all(isinstance(e, AudioChunkEvent) for e in chunks)
    assert all(e.audio_id == events[0].audio_id and e.message_id == events[0].message_id for e in chunks)
    assert all(len(e.pcm) == 1280 for e in chunks[:-1])         # 40 ms of 16 kHz PCM16
    pcm = np.frombuffer(b"".join(e.pcm for e in chunks), np.int16)
    assert pcm.size / 16000 > 0.8 and np.abs(pcm).max() > 3000   # espeak-ng speech, not silence


def test_play_pushes_every_chunk_and_the_listener_hears_it_exactly(service, endpoint):
    agent, _ = join(service, "modality", "agent", record=False)
    listener, rec = join(service, "modality", "listener")
    client = AudioModalityClient(endpoint, "key")
    messages = [{"role": "user", "content": "tell me about Paris"}]
    expected = b"".join(e.pcm for e in client.stream(messages) if isinstance(e, AudioChunkEvent))
    seen = []
    result = client.play(agent, messages, on_transcript=seen.append)
    assert result.completed and not result.stopped
    assert seen == ["You said: tell me about Paris."] and result.transcript == seen[0]
    assert result.pushed_bytes == len(expected) and result.pushed_ms == len(expected) / 32
    assert agent.wait_push_completed(30)
    barrier(agent, rec)
    heard = rec.pcm("agent")
    pad = (-len(expected)) % 320                     # a last partial 10 ms frame leaves padded
    assert heard == expected + b"\0" * pad


def test_play_stops_when_asked_and_reply_chunks_feed_reply_on_pause(service, endpoint):
    agent, _ = join(service, "modality-stop", "agent", record=False)
    client = AudioModalityClient(endpoint, "key")
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 5
    result = client.play(agent, [{"role": "user", "content": "a long answer please"}], should_stop=should_stop)
    assert result.stopped and not result.completed and result.chunks == 4
    assert result.pushed_bytes == 4 * 1280
    agent.interrupt_audio()

    # the stream as a ReplyOnPause reply (startup greeting): the whole reply is played
    rop = ReplyOnPause(lambda audio: iter(()),
                       startup_fn=lambda: client.reply_chunks([{"role": "user", "content": "hi"}]))
    with rop.start(agent):
        done = rop.wait_for("reply_done", 1, timeout=30)[0]
    total = sum(len(e.pcm) for e in client.stream([{"role": "user", "content": "hi"}])
                if isinstance(e, AudioChunkEvent))
    assert done.ms == pytest.approx(total / 32)


def test_http_errors_are_clear(endpoint):
    with pytest.raises(AudioModalityError, match="HTTP 401"):
        list(AudioModalityClient(endpoint, "").stream([{"role": "user", "content": "x"}]))
    with pytest.raises(AudioModalityError, match="HTTP 404"):
        list(AudioModalityClient(endpoint.replace("/audio/chat", "/nope"), "k").stream([]))
    with pytest.raises(AudioModalityError, match="127.0.0.1:9"):
        list(AudioModalityClient("http://127.0.0.1:9/audio/chat/completions", "k", timeout=5).stream([]))
    with pytest.raises(TypeError, match="list of dicts"):
        list(AudioModalityClient(endpoint, "k").stream("hello"))
    with pytest.raises(ValueError, match="http"):
        AudioModalityClient("ftp://x", "k")
    with pytest.raises(ValueError, match="sample_rate"):
        AudioModalityClient(endpoint, "k", sample_rate=11025)


def _sse(*payloads):
    return [line for p in payloads for line in (f"data: {p}\n".encode(), b"\n")]


def test_sse_parser_edge_cases():
    chunk = json.dumps({"id": "m", "choices": [{"delta": {"audio": {"id": "a", "data":
                                                                    base64.b64encode(b"\1\0\2\0").decode()}}}]})
    text_only = json.dumps({"id": "m", "choices": [{"delta": {"content": "hi"}, "finish_reason": None}]})
    events = list(parse_sse_events([b": keep-alive\n", b"\n"] + _sse(text_only, chunk, "[DONE]")))
    assert events == [AudioChunkEvent("m", "a", b"\1\0\2\0")]
    with pytest.raises(AudioModalityError, match="before data: \\[DONE\\]"):
        list(parse_sse_events(_sse(chunk)))
    with pytest.raises(AudioModalityError, match="not JSON"):
        list(parse_sse_events(_sse("{nope", "[DONE]")))
    with pytest.raises(AudioModalityError, match="choices"):
        list(parse_sse_events(_sse("[1, 2]", "[DONE]")))
    bad_b64 = json.dumps({"choices": [{"delta": {"audio": {"data": "***"}}}]})
    with pytest.raises(AudioModalityError, match="base64"):
        list(parse_sse_events(_sse(bad_b64, "[DONE]")))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=40), st.text(max_size=40).map(lambda t: ("data: " + t + "\n").encode()),
                          st.sampled_from([b"\n", b"data: [DONE]\n", b'data: {"choices": [{"delta": {"audio": {}}}]}\n',
                                           b'data: {"choices": [{"delta": {"audio": {"data": 5}}}]}\n',
                                           b'data: {"choices": [1, null, {"delta": 3}]}\n'])),
                max_size=12))
def test_sse_parser_never_fails_with_anything_but_its_own_error(lines):
    try:
        for ev in parse_sse_events(lines):
            assert isinstance(ev, (TranscriptEvent, AudioChunkEvent))
    except AudioModalityError:
        pass


def _serve_sse(chunks, done=True):
    """A one-shot loopback endpoint streaming ``chunks`` (raw bytes, split anywhere)."""
    import http.server
    import threading

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for c in chunks:
                msg = {"id": "m", "choices": [{"delta": {"audio": {"id": "a", "data": base64.b64encode(c).decode()}}}]}
                self.wfile.write(f"data: {json.dumps(msg)}\n\n".encode())
            if done:
                self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, *a):
            pass
    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.handle_request, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/audio/chat/completions"


def test_chunks_split_inside_a_sample_are_joined(service):
    agent, _ = join(service, "odd-split", "agent", record=False)
    listener, rec = join(service, "odd-split", "listener")
    pcm = (np.arange(4000, dtype=np.int16) * 7).tobytes()          # 250 ms
    cuts = [0, 1, 333, 1001, 4567, 8000]                             # odd offsets: samples split
    srv, url = _serve_sse([pcm[a:b] for a, b in zip(cuts, cuts[1:])])
    try:
        result = AudioModalityClient(url, "k").play(agent, [{"role": "user", "content": "x"}])
    finally:
        srv.server_close()
    assert result.completed and result.chunks == 5 and result.pushed_bytes == len(pcm)
    assert agent.wait_push_completed(10)
    barrier(agent, rec)
    assert rec.pcm("agent") == pcm


def test_stream_ending_inside_a_sample_or_without_done_is_an_error(service):
    agent, _ = join(service, "odd-end", "agent", record=False)
    for chunks, done, match in [([b"\1\0\2"], True, "inside a sample"), ([b"\1\0"], False, "DONE")]:
        srv, url = _serve_sse(chunks, done)
        try:
            with pytest.raises(AudioModalityError, match=match):
                AudioModalityClient(url, "k").play(agent, [{"role": "user", "content": "x"}])
        finally:
            srv.server_close()
