"""A real SIP phone for the tests: baresip (Debian), started on loopback with a config
directory of its own and stopped by PID.

Its microphone is a WAV file (aufile module), what it hears is written to a WAV (the
sndfile module dumps the decoded audio of a call), it is driven through its TCP control
socket (ctrl_tcp: netstring-framed JSON commands) and its events are read from there too.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import wave
from typing import List, Optional

import numpy as np
import pytest

BARESIP = shutil.which("baresip")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindable(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_sip_port() -> int:
    """A port baresip can take for SIP: UDP and TCP on it, TCP (its TLS) on the next one."""
    while True:
        port = free_udp_port()
        if port < 65535 and _bindable(socket.SOCK_STREAM, port) and \
                _bindable(socket.SOCK_STREAM, port + 1):
            return port


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_wav(path: str, pcm: np.ndarray, rate: int = 8000, channels: int = 1) -> None:
    """pcm: mono samples (repeated on every channel)."""
    pcm = np.repeat(np.asarray(pcm), channels)
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())


def read_wav(path: str) -> tuple:
    with wave.open(path, "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def _account_codec(name: str) -> str:
    """A codec as baresip's account line names it: G.722 needs its audio rate (its RTP
    clock, 8000, is what baresip assumes for a bare name)."""
    return "G722/16000/1" if name == "G722" else name


class BaresipPhone:
    """One baresip process. ``codecs``: the account's audio codecs in order ("PCMU", "PCMA", "G722");
    ``ptime``: the packet length it sends and offers (a=ptime, ms; None: baresip's 20);
    ``mediaenc``: its media encryption (``"srtp"``: RTP/AVP with SDES keys, plain RTP
    taken too; ``"srtp-mand"``: RTP/SAVP, SRTP only; None: plain RTP); ``tls_cert``: a PEM
    file (certificate and key) for SIP over TLS, which it then also listens for on
    ``tls_uri`` (the SIP port + 1) and trusts as a CA when it calls over TLS."""

    def __init__(self, workdir: str, source_wav: str, *, codecs=("PCMU",), auto_answer=False,
                 user="phone", answer_mode=None, ptime=None, mediaenc=None, tls_cert=None):
        if BARESIP is None:
            raise RuntimeError("baresip is not installed (Debian package baresip)")
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.dumps = os.path.join(workdir, "dumps")
        os.makedirs(self.dumps, exist_ok=True)
        self.user = user
        self._codecs, self._auto_answer, self._source = codecs, auto_answer, source_wav
        self._answer_mode = answer_mode      # "early": 183 with its media, never answers
        self._ptime = ptime
        self._mediaenc = mediaenc
        self._tls_cert = tls_cert
        self.log = None
        for attempt in range(5):      # ports are shared with the machine: another may win one
            self.sip_port = free_sip_port()
            self.ctrl_port = free_tcp_port()
            if self.ctrl_port in (self.sip_port, self.sip_port + 1):
                continue
            self._start()
            try:
                self._sock = self._connect_ctrl()
                break
            except RuntimeError:
                if self.proc.returncode != 98 or attempt == 4:   # 98: EADDRINUSE
                    raise
        self.events: List[dict] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _start(self) -> None:
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(f"""poll_method epoll
sip_listen 127.0.0.1:{self.sip_port}
audio_player alsa,null
audio_source aufile,{self._source}
audio_alert alsa,null
module_path /usr/lib/baresip/modules
module g711.so
module g722.so
module opus.so
module aufile.so
module alsa.so
module sndfile.so
{"module srtp.so" if self._mediaenc else ""}
{f"sip_certificate {self._tls_cert}" if self._tls_cert else ""}
{f"sip_cafile {self._tls_cert}" if self._tls_cert else ""}
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}
snd_path {self.dumps}
""")
        mode = self._answer_mode or ("auto" if self._auto_answer else None)
        answer = f";answermode={mode}" if mode else ""
        if self._ptime is not None:
            answer += f";ptime={int(self._ptime)}"
        if self._mediaenc:
            answer += f";mediaenc={self._mediaenc}"
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(f"<sip:{self.user}@127.0.0.1:{self.sip_port}>;regint=0;audio_codecs={','.join(map(_account_codec, self._codecs))}"
                    f"{answer}\n")
        if self.log is not None:
            self.log.close()
        self.log = open(os.path.join(self.dir, "baresip.log"), "wb")
        self.proc = subprocess.Popen([BARESIP, "-f", self.dir], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.sip_port}"

    @property
    def tls_uri(self) -> str:
        """Its address over TLS (baresip listens for TLS on the SIP port + 1)."""
        return f"sip:{self.user}@127.0.0.1:{self.sip_port + 1};transport=tls"

    def _connect_ctrl(self) -> socket.socket:
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baresip exited ({self.proc.returncode}): {self.log_text()}")
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=2)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _read(self) -> None:
        buf = b""
        self._sock.settimeout(None)
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b":" in buf:
                head, rest = buf.split(b":", 1)
                n = int(head)
                if len(rest) < n + 1:
                    break
                body, buf = rest[:n], rest[n + 1:]
                try:
                    msg = json.loads(body)
                except ValueError:
                    continue
                with self._cond:
                    self.events.append(msg)
                    self._cond.notify_all()

    def command(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        self._sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def wait_event(self, kind: str, timeout: float = 20.0) -> dict:
        """The first event of type ``kind`` (CALL_ESTABLISHED, CALL_CLOSED ...)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in self.events:
                    if ev.get("event") and ev.get("type") == kind:
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"baresip: no {kind} event in {timeout} s; events "
                                       f"{self.events}; log: {self.log_text()[-2000:]}")
                self._cond.wait(left)

    def dial(self, uri: str) -> None:
        self.command("dial", uri)

    def hangup(self) -> None:
        self.command("hangup")

    def heard_format(self) -> tuple:
        """(rate, channels) of the last recording (8000, 1 for G.711; 48000, 2 for Opus)."""
        files = sorted(glob.glob(os.path.join(self.dumps, "*-dec.wav")), key=os.path.getmtime)
        with wave.open(files[-1], "rb") as w:
            return w.getframerate(), w.getnchannels()

    def heard(self, timeout: float = 10.0) -> Optional[np.ndarray]:
        """What the phone heard in its last call (the decoded audio dump, 8 kHz), once the
        call is over and baresip has closed the file (its header is written then)."""
        deadline = time.monotonic() + timeout
        while True:
            files = sorted(glob.glob(os.path.join(self.dumps, "*-dec.wav")), key=os.path.getmtime)
            try:
                if files:
                    return read_wav(files[-1])[0]
            except (wave.Error, EOFError):
                pass
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        with open(os.path.join(self.dir, "baresip.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# The tests' phones, each started by the test and stopped after it (import it as a fixture).
@pytest.fixture
def phones(tmp_path):
    started = []

    def start(name="phone", **kw):
        p = BaresipPhone(str(tmp_path / name), kw.pop("source"), user=name, **kw)
        started.append(p)
        return p
    yield start
    for p in started:
        p.stop()
