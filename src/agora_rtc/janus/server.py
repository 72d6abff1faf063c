"""Run a private Janus 1.1.2 process for tests, demos and local agents.

`JanusServer` generates a configuration folder from the templates committed in
``agora_rtc/janus/config`` (``*.jcfg.in``) into a temporary directory, starts
``janus -F <dir> -L <log>`` as an ordinary foreground child process, waits
until its HTTP API answers ``{"janus": "info"}`` and stops it by PID
(SIGTERM, then SIGKILL after a timeout).

Every listener is bound to a loopback address: the Janus API (HTTP transport,
and the WebSocket transport when ``websocket=True``), the disabled admin API,
``general.interface``; remote-publisher sockets are bound to the ``iface`` the
client passes (the client defaults it to the host of the API URL, so loopback
here). Nothing but the VideoRoom plugin and these transports is loaded. ICE
candidates for browsers are gathered only on ``ice_interfaces`` when given.

Lifetime: the process is a direct child started in its own session, so it
never receives the terminal's signals; `stop` reaps it (no zombie) and
`JanusServer` also registers an ``atexit`` hook that kills a server left
running when the interpreter exits.

Examples
--------
>>> with JanusServer() as server:                         # doctest: +SKIP
...     client = JanusClient(server.url)
"""
from __future__ import annotations

import atexit
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from string import Template
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = ["JanusServer", "JanusServerError", "find_janus", "janus_available",
           "JANUS_MISSING_REASON", "TEMPLATE_DIR", "DEFAULT_RTP_PORT_RANGE"]

#: The committed configuration templates (the "config folder in the repo").
TEMPLATE_DIR = Path(__file__).with_name("config")

#: Media port range given to Janus (``media.rtp_port_range``: ICE/WebRTC legs).
DEFAULT_RTP_PORT_RANGE: Tuple[int, int] = (42000, 42999)

#: The only modules Janus loads; everything else found is disabled.
ENABLED_PLUGINS = ("libjanus_videoroom.so",)
ENABLED_TRANSPORTS = ("libjanus_http.so",)

#: Modules shipped by Debian's janus 1.1.2, used when a library folder cannot
#: be listed (the real folder contents are used whenever possible).
_KNOWN_MODULES: Dict[str, Tuple[str, ...]] = {
    "plugins": ("libjanus_audiobridge.so", "libjanus_duktape.so", "libjanus_echotest.so",
                "libjanus_lua.so", "libjanus_nosip.so", "libjanus_recordplay.so",
                "libjanus_sip.so", "libjanus_streaming.so", "libjanus_textroom.so",
                "libjanus_videocall.so", "libjanus_videoroom.so", "libjanus_voicemail.so"),
    "transports": ("libjanus_http.so", "libjanus_mqtt.so", "libjanus_nanomsg.so",
                   "libjanus_pfunix.so", "libjanus_rabbitmq.so", "libjanus_websockets.so"),
    "events": ("libjanus_gelfevh.so", "libjanus_mqttevh.so", "libjanus_nanomsgevh.so",
               "libjanus_rabbitmqevh.so", "libjanus_sampleevh.so", "libjanus_wsevh.so"),
    "loggers": ("libjanus_jsonlog.so",),
}

JANUS_MISSING_REASON = ("the `janus` binary (Debian package `janus`, 1.1.2) is not installed; "
                        "install it with `apt-get install -y janus`")


def _sigkill(proc: subprocess.Popen) -> None:
    """SIGKILL a Janus process by PID (if still running) and reap it."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _janus_env() -> dict:
    """Janus is an external program: it does not inherit our LD_PRELOAD (a
    sanitizer runtime or a test shim is meant for the Python process only)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


class JanusServerError(RuntimeError):
    """Janus could not be started (missing binary, bad config, never became ready)."""


def find_janus(binary: Optional[str] = None) -> Optional[str]:
    """Return the path of the ``janus`` executable, or None when it is not installed.

    Parameters
    ----------
    binary : str, optional
        Explicit path or name; defaults to ``$AGORA_RTC_JANUS_BIN`` then ``janus`` on PATH.
    """
    name = binary or os.environ.get("AGORA_RTC_JANUS_BIN") or "janus"
    found = shutil.which(name)
    if found is None and os.path.isfile(name) and os.access(name, os.X_OK):
        found = name
    return found


def janus_available() -> bool:
    """True when the ``janus`` binary is installed (for ``pytest.mark.skipif``)."""
    return find_janus() is not None


def _find_lib_dir() -> Optional[Path]:
    """Locate Janus's module folder (the one holding plugins/, transports/, ...)."""
    env = os.environ.get("AGORA_RTC_JANUS_LIB")
    candidates: List[Path] = [Path(env)] if env else []
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        candidates.append(Path("/usr/lib") / multiarch / "janus")
    candidates += [Path("/usr/lib/janus"), Path("/usr/local/lib/janus"), Path("/opt/janus/lib/janus")]
    for c in candidates:
        if (c / "plugins").is_dir() and (c / "transports").is_dir():
            return c
    return None


def _free_tcp_port(host: str) -> int:
    """A TCP port that was free on `host` a moment ago (Janus binds it just after)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _modules_to_disable(folder: Optional[Path], kind: str, keep: Iterable[str]) -> str:
    keep = set(keep)
    names: set = set(_KNOWN_MODULES[kind])
    if folder is not None and folder.is_dir():
        # Janus loads every "*.so" file of the folder (not the versioned links).
        names |= {p.name for p in folder.iterdir() if p.name.endswith(".so")}
    return ",".join(sorted(names - keep))


# Servers still running at interpreter exit are killed (never leave a Janus behind).
_live_servers: "weakref.WeakSet[JanusServer]" = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:  # pragma: no cover - exercised only on abnormal exits
    for server in list(_live_servers):
        try:
            server.stop(timeout=1.0)
        except Exception:
            pass


class JanusServer:
    """A Janus process owned by this Python process.

    Parameters
    ----------
    host : str
        Loopback address every listener binds to (``127.0.0.1``; any 127/8 or ``::1``
        address is accepted, anything else is refused).
    http_port : int, optional
        Port of the HTTP Janus API. Default: a free port picked at each `start`
        (kept across `restart` when still free).
    rtp_port_range : (int, int)
        ``media.rtp_port_range`` (ICE/WebRTC media ports).
    admin_key : str, optional
        VideoRoom ``admin_key`` (also required for RTP forwarding, ``lock_rtp_forward``).
        Default: random, generated once per `JanusServer` object.
    session_timeout : int
        Janus ``general.session_timeout`` in seconds (60 is Janus's default).
    debug_level : int
        Janus log level, 0-7.
    template_dir : path, optional
        Folder with the ``*.jcfg.in`` templates (default: `TEMPLATE_DIR`).
    binary : str, optional
        The ``janus`` executable (default: found on PATH).
    lib_dir : path, optional
        Folder holding Janus's ``plugins/``, ``transports/``, ``events/``, ``loggers/``.
    start_timeout, stop_timeout : float
        Seconds to wait for the API to answer / for SIGTERM to end the process.
    extra_args : sequence of str
        More command-line arguments for ``janus``.
    websocket : bool
        Also load the WebSocket transport (``janus+ws://``), on a free port of `host`
        picked at each `start` (`ws_port`, `ws_url`, `ws_transport_url`).
    ice_interfaces : sequence of str
        ``nat.ice_enforce_list``: the only interfaces (names or IPs) Janus gathers ICE
        candidates on, for WebRTC peers such as browsers. Default: none enforced. Janus
        never gathers on loopback interfaces: a browser on the same host reaches it through
        a non-loopback interface, e.g. a veth carrying 127.0.0.2 in a private network
        namespace (see ``examples/web_agent.py``).

    Attributes
    ----------
    url : str
        ``http://host:port/janus``, the base URL for `JanusClient`.
    transport_url : str
        ``janus://host:port``, the SDK's service-config transport URL.
    pid : int or None
        PID of the running process.
    config_dir, log_path : pathlib.Path
        The generated configuration folder and Janus's log file.
    """

    def __init__(self, *, host: str = "127.0.0.1", http_port: Optional[int] = None,
                 rtp_port_range: Tuple[int, int] = DEFAULT_RTP_PORT_RANGE,
                 admin_key: Optional[str] = None, session_timeout: int = 60,
                 debug_level: int = 4, server_name: str = "agora_rtc",
                 template_dir: Optional[os.PathLike] = None, binary: Optional[str] = None,
                 lib_dir: Optional[os.PathLike] = None, start_timeout: float = 15.0,
                 stop_timeout: float = 5.0, extra_args: Sequence[str] = (),
                 ice_interfaces: Sequence[str] = (), websocket: bool = False) -> None:
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"host must be an IP address literal, got {host!r}") from None
        if not addr.is_loopback:
            raise ValueError(f"JanusServer only binds loopback addresses, got {host!r}")
        lo, hi = rtp_port_range
        if not (1024 <= lo <= hi <= 65535):
            raise ValueError(f"invalid rtp_port_range {rtp_port_range!r}")
        self.host = host
        self.rtp_port_range = (int(lo), int(hi))
        self.admin_key = admin_key or "ak-" + secrets.token_hex(16)
        self.session_timeout = int(session_timeout)
        self.debug_level = int(debug_level)
        self.server_name = server_name
        self.template_dir = Path(template_dir) if template_dir else TEMPLATE_DIR
        self.binary = binary
        self.lib_dir = Path(lib_dir) if lib_dir else None
        self.start_timeout = float(start_timeout)
        self.stop_timeout = float(stop_timeout)
        self.extra_args = list(extra_args)
        self.websocket = bool(websocket)
        self.ws_port: Optional[int] = None
        self.ice_interfaces = [str(i) for i in ice_interfaces]
        for name in self.ice_interfaces:
            if not name or any(c in name for c in ',"\\\n '):
                raise ValueError(f"ice_interfaces: expected interface names or IPs, got {name!r}")
        self._fixed_port = http_port
        self.http_port: Optional[int] = http_port
        self.admin_port: Optional[int] = None
        self._proc: Optional[subprocess.Popen] = None
        self._tmp: Optional[tempfile.TemporaryDirectory] = None
        self.config_dir: Optional[Path] = None
        self.log_path: Optional[Path] = None
        self._stderr_path: Optional[Path] = None
        self._lock = threading.RLock()
        self.server_info: Optional[dict] = None

    # ----------------------------------------------------------------- helpers
    @staticmethod
    def available() -> bool:
        """True when the ``janus`` binary is installed."""
        return janus_available()

    @staticmethod
    def skip_if_unavailable() -> None:
        """Call ``pytest.skip`` with a clear reason when ``janus`` is missing."""
        if not janus_available():
            import pytest  # only imported in test runs
            pytest.skip(JANUS_MISSING_REASON)

    @property
    def url(self) -> str:
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{h}:{self.http_port}/janus"

    @property
    def ws_url(self) -> str:
        """``ws://host:port/`` of the WebSocket API (needs ``websocket=True``)."""
        if not self.websocket:
            raise JanusServerError("this JanusServer was created without websocket=True")
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{h}:{self.ws_port}/"

    @property
    def ws_transport_url(self) -> str:
        """``janus+ws://host:port``: the SDK's transport URL for the WebSocket API."""
        return "janus+ws" + self.ws_url[2:].rstrip("/")

    @property
    def transport_url(self) -> str:
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"janus://{h}:{self.http_port}"

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, n: int = 40) -> str:
        """The last `n` lines of Janus's log and stderr (for error messages)."""
        out = []
        for p in (self.log_path, self._stderr_path):
            if p is not None and p.exists():
                lines = p.read_text(errors="replace").splitlines()
                out += lines[-n:]
        return "\n".join(out)

    # ------------------------------------------------------------ config gen
    def render_config(self, dest: Path) -> Path:
        """Fill the templates into `dest` (created if needed) and return it."""
        lib = self.lib_dir or _find_lib_dir()
        sub = lambda kind: (lib / kind) if lib else Path("/nonexistent")  # noqa: E731
        values = {
            "configs_folder": str(dest),
            "plugins_folder": str(sub("plugins")),
            "transports_folder": str(sub("transports")),
            "events_folder": str(sub("events")),
            "loggers_folder": str(sub("loggers")),
            "debug_level": str(self.debug_level),
            "host": self.host,
            "server_name": self.server_name,
            "session_timeout": str(self.session_timeout),
            "rtp_port_range": "%d-%d" % self.rtp_port_range,
            "plugins_disable": _modules_to_disable(lib and sub("plugins"), "plugins", ENABLED_PLUGINS),
            "transports_disable": _modules_to_disable(
                lib and sub("transports"), "transports",
                ENABLED_TRANSPORTS + (("libjanus_websockets.so",) if self.websocket else ())),
            "events_disable": _modules_to_disable(lib and sub("events"), "events", ()),
            "loggers_disable": _modules_to_disable(lib and sub("loggers"), "loggers", ()),
            "http_port": str(self.http_port),
            "ws_port": str(self.ws_port or 0),
            "admin_port": str(self.admin_port),
            "admin_key": self.admin_key,
            "ice_enforce_line": (f'\tice_enforce_list = "{",".join(self.ice_interfaces)}"\n'
                                 if self.ice_interfaces else ""),
        }
        for v in (self.admin_key, self.server_name):
            if '"' in v or "\\" in v or "\n" in v:
                raise ValueError("admin_key/server_name must not contain quotes, backslashes or newlines")
        dest.mkdir(parents=True, exist_ok=True)
        templates = sorted(self.template_dir.glob("*.jcfg.in"))
        if not templates:
            raise JanusServerError(f"no *.jcfg.in templates in {self.template_dir}")
        for t in templates:
            text = Template(t.read_text()).substitute(values)
            (dest / t.name[:-3]).write_text(text)
        return dest

    # -------------------------------------------------------------- lifetime
    def start(self) -> "JanusServer":
        """Generate the config, start Janus and wait until its API answers.

        Raises
        ------
        JanusServerError
            The binary is missing, Janus exited, or it did not answer in `start_timeout`.
        """
        with self._lock:
            if self.running:
                return self
            binary = find_janus(self.binary)
            if binary is None:
                raise JanusServerError(JANUS_MISSING_REASON)
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="agora-janus-")
            root = Path(self._tmp.name)
            attempts = 1 if self._fixed_port else 3
            last_err: Optional[Exception] = None
            for attempt in range(attempts):
                if self._fixed_port:
                    self.http_port = self._fixed_port
                elif self.http_port is None or attempt > 0 or not _port_is_free(self.host, self.http_port):
                    self.http_port = _free_tcp_port(self.host)
                if self.admin_port is None or self.admin_port == self.http_port:
                    self.admin_port = _free_tcp_port(self.host)
                if self.websocket and (self.ws_port is None or attempt > 0
                                       or not _port_is_free(self.host, self.ws_port)):
                    self.ws_port = _free_tcp_port(self.host)
                self.config_dir = self.render_config(root / "conf")
                self.log_path = root / "janus.log"
                self._stderr_path = root / "janus.stderr"
                # Fresh log per start, so log_tail shows this run only.
                for p in (self.log_path, self._stderr_path):
                    if p.exists():
                        p.unlink()
                cmd = [binary, "-F", str(self.config_dir), "-L", str(self.log_path),
                       "-N",   # no stdout logging: the log file is enough
                       "-o",   # no colours in the log
                       "-d", str(self.debug_level)] + self.extra_args
                with open(self._stderr_path, "wb") as err:
                    # start_new_session: own process group, no terminal signals; no daemon
                    # mode, so this Popen *is* the Janus process and its PID is what we stop.
                    self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                                  stdout=subprocess.DEVNULL, stderr=err,
                                                  cwd=str(root), start_new_session=True,
                                                  env=_janus_env(),
                                                  close_fds=True)
                _live_servers.add(self)
                try:
                    self._wait_ready()
                    return self
                except JanusServerError as e:
                    last_err = e
                    self.stop(timeout=2.0)
            raise last_err if last_err else JanusServerError("Janus did not start")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        body = json.dumps({"janus": "info", "transaction": "ready-check"}).encode()
        last = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise JanusServerError(
                    f"janus exited with code {self._proc.returncode} during start-up\n{self.log_tail()}")
            try:
                req = urllib.request.Request(self.url, data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=1.0) as r:
                    info = json.loads(r.read().decode())
                if info.get("janus") == "server_info":
                    # Is it OUR Janus? Another process may have taken the port between our
                    # free-port probe and Janus's bind (then ours exits with code 1): the
                    # log path is unique to this start.
                    if info.get("log-path") != str(self.log_path):
                        raise JanusServerError(
                            f"port {self.http_port} is answered by another Janus "
                            f"(log-path {info.get('log-path')!r})")
                    plugins = info.get("plugins") or {}
                    if "janus.plugin.videoroom" not in plugins:
                        raise JanusServerError(
                            f"Janus answered but the VideoRoom plugin is not loaded\n{self.log_tail()}")
                    self.server_info = info
                    if self.websocket:
                        self._wait_ws_listening(deadline)
                    return
                last = info
            except (OSError, ValueError) as e:  # not listening yet
                last = e
            time.sleep(0.05)
        raise JanusServerError(f"Janus did not answer on {self.url} within {self.start_timeout} s "
                               f"(last: {last!r})\n{self.log_tail()}")

    def _wait_ws_listening(self, deadline: float) -> None:
        while True:
            try:
                socket.create_connection((self.host, self.ws_port), timeout=1.0).close()
                return
            except OSError as e:
                if time.monotonic() >= deadline or self._proc.poll() is not None:
                    raise JanusServerError(f"the WebSocket API never listened on port {self.ws_port}: "
                                           f"{e}\n{self.log_tail()}") from None
                time.sleep(0.05)

    def stop(self, timeout: Optional[float] = None) -> Optional[int]:
        """Stop Janus by PID: SIGTERM, then SIGKILL after `timeout` seconds.

        Returns the exit status (None when it was not running). Idempotent.
        """
        with self._lock:
            proc = self._proc
            if proc is None:
                return None
            timeout = self.stop_timeout if timeout is None else timeout
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    _sigkill(proc)
            self._proc = None
            _live_servers.discard(self)
            return proc.returncode

    def kill(self) -> None:
        """SIGKILL the process at once (simulates a crash) and reap it."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            _sigkill(proc)
            self._proc = None
            _live_servers.discard(self)

    def restart(self) -> "JanusServer":
        """Stop then start again: same admin_key, same port when it is still free.

        Janus keeps no state across restarts: rooms, sessions and remote publishers are gone.
        """
        with self._lock:
            self.stop()
            return self.start()

    def close(self) -> None:
        """Stop Janus and delete the generated config folder and logs."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "JanusServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.running else "stopped"
        return f"<JanusServer {self.url} {state}>"
