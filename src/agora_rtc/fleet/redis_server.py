"""A private redis-server on loopback, owned by this process (tests, demos, one-machine fleets).

Started with its own folder, append-only file on (``appendfsync always``), so a
restart (`stop` or `kill`, then `start`: same port, same folder) finds the jobs, the
consumer group and the leases again. Stopped by PID.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Optional

import redis


def redis_server_available() -> bool:
    return shutil.which("redis-server") is not None


REDIS_MISSING_REASON = "redis-server is not installed (Debian package redis-server)"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, *, host: str = "127.0.0.1", port: Optional[int] = None,
                 start_timeout: float = 10.0) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self.start_timeout = float(start_timeout)
        self._dir = tempfile.TemporaryDirectory(prefix="agora-rtc-redis-")
        self._proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def start(self) -> "RedisServer":
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError(REDIS_MISSING_REASON)
        log = open(os.path.join(self._dir.name, "redis.log"), "ab")
        self._proc = subprocess.Popen(
            [exe, "--bind", self.host, "--port", str(self.port), "--dir", self._dir.name,
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--daemonize", "no", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=1)
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on {self.url}")
            time.sleep(0.05)
        client.close()
        return self

    def kill(self) -> None:
        """SIGKILL (what the append-only file survives)."""
        if self._proc and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self._proc.pid, signal.SIGKILL)
                self._proc.wait()

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
