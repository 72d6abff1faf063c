"""A minimal WebSocket client (RFC 6455, stdlib only) for the Janus WebSocket API.

Only what a JSON API client needs: the opening handshake with a subprotocol
(``janus-protocol``), masked text frames out, text/binary messages in
(fragmented or not), ping answered with pong, close. No extensions, no TLS
(Janus is on loopback here).

Threading: one thread reads (`recv`), any thread may `send` (sends are
serialised by a lock); `close` may be called from any thread and wakes a
blocked `recv` (which then raises `WebSocketClosed`).
"""
from __future__ import annotations

import base64
import hashlib
import os
import select
import socket
import struct
import threading
from typing import Optional, Tuple

__all__ = ["WebSocket", "WebSocketError", "WebSocketClosed"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 16 << 20   # a Janus JSON message is a few KB; refuse absurd sizes


class WebSocketError(OSError):
    """The handshake failed or the peer broke the protocol."""


class WebSocketClosed(WebSocketError):
    """The connection is closed (by the peer, by `close`, or it broke)."""


class WebSocket:
    """One client connection. Use `WebSocket.connect`."""

    def __init__(self, sock: socket.socket, leftover: bytes = b"") -> None:
        self._sock = sock
        self._buf = bytearray(leftover)
        self._send_lock = threading.Lock()
        self._closed = False

    @classmethod
    def connect(cls, host: str, port: int, path: str = "/", *, subprotocol: Optional[str] = None,
                timeout: float = 10.0) -> "WebSocket":
        """Open a TCP connection and perform the opening handshake.

        Raises
        ------
        WebSocketError
            The server did not answer ``101 Switching Protocols`` with the right
            ``Sec-WebSocket-Accept`` (and subprotocol, when one was asked for).
        OSError
            The TCP connection failed.
        """
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            h = f"[{host}]" if ":" in host else host
            lines = [f"GET {path or '/'} HTTP/1.1", f"Host: {h}:{port}", "Upgrade: websocket",
                     "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
            if subprotocol:
                lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    raise WebSocketError("connection closed during the WebSocket handshake")
                head += chunk
                if len(head) > 65536:
                    raise WebSocketError("WebSocket handshake answer too long")
            head, rest = head.split(b"\r\n\r\n", 1)
            status, *fields = head.decode("latin-1").split("\r\n")
            if status.split(" ")[1:2] != ["101"]:
                raise WebSocketError(f"WebSocket handshake refused: {status!r}")
            headers = {}
            for f in fields:
                name, _, value = f.partition(":")
                headers[name.strip().lower()] = value.strip()
            expect = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
            if headers.get("sec-websocket-accept") != expect:
                raise WebSocketError("WebSocket handshake: wrong Sec-WebSocket-Accept")
            if subprotocol and headers.get("sec-websocket-protocol") != subprotocol:
                raise WebSocketError(f"WebSocket handshake: subprotocol {subprotocol!r} not accepted")
            sock.settimeout(None)
            return cls(sock, rest)
        except BaseException:
            sock.close()
            raise

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------ sending
    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        # client frames are masked (RFC 6455 5.3): XOR with the 4-byte key, as one big int
        k = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        body = (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big") if n else b""
        with self._send_lock:
            if self._closed:
                raise WebSocketClosed("WebSocket is closed")
            try:
                self._sock.sendall(head + mask + body)
            except OSError as e:
                raise WebSocketClosed(f"WebSocket send failed: {e}") from e

    def send_text(self, text: str) -> None:
        """Send one text message."""
        self._send_frame(OP_TEXT, text.encode("utf-8"))

    # ------------------------------------------------------------ receiving
    def wait_readable(self, timeout: float) -> bool:
        """True when `recv` has bytes to work on (buffered, or readable on the socket,
        which includes the peer closing it) within `timeout` seconds; False otherwise.
        For the thread that reads, to wait with a deadline without breaking a frame."""
        if self._buf:
            return True
        if self._closed:
            return True   # recv raises WebSocketClosed at once
        try:
            return bool(select.select([self._sock], [], [], max(0.0, timeout))[0])
        except (OSError, ValueError):   # closed by another thread meanwhile
            return True

    def _read(self, n: int) -> bytes:
        while len(self._buf) < n:
            try:
                chunk = self._sock.recv(max(65536, n - len(self._buf)))
            except OSError as e:
                raise WebSocketClosed(f"WebSocket receive failed: {e}") from e
            if not chunk:
                raise WebSocketClosed("the server closed the connection")
            self._buf += chunk
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def _frame(self) -> Tuple[bool, int, bytes]:
        b0, b1 = self._read(2)
        fin, opcode, masked, n = bool(b0 & 0x80), b0 & 0x0F, bool(b1 & 0x80), b1 & 0x7F
        if b0 & 0x70:
            raise WebSocketError("WebSocket frame with reserved bits set (no extension was negotiated)")
        if n == 126:
            (n,) = struct.unpack("!H", self._read(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read(8))
        if n > MAX_MESSAGE:
            raise WebSocketError(f"WebSocket frame of {n} bytes refused")
        mask = self._read(4) if masked else None
        payload = self._read(n)
        if mask:
            k = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
            payload = (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")
        return fin, opcode, payload

    def recv(self) -> str:
        """Block until the next data message and return it as text.

        Raises `WebSocketClosed` when the connection ends (close frame, EOF, `close`).
        """
        parts, total = [], 0
        while True:
            fin, opcode, payload = self._frame()
            if opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                self.close()
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise WebSocketClosed(f"the server closed the WebSocket (code {code})")
            if opcode not in (OP_TEXT, OP_BINARY, OP_CONT) or (opcode == OP_CONT) != bool(parts):
                raise WebSocketError(f"unexpected WebSocket opcode {opcode}")
            parts.append(payload)
            total += len(payload)
            if total > MAX_MESSAGE:
                raise WebSocketError("WebSocket message too long")
            if fin:
                return b"".join(parts).decode("utf-8")

    def close(self) -> None:
        """Send a close frame (best effort) and close the socket; wakes a blocked `recv`."""
        with self._send_lock:
            if self._closed:
                return
            self._closed = True
            try:
                mask = os.urandom(4)
                body = bytes(a ^ b for a, b in zip(struct.pack("!H", 1000), mask))
                self._sock.sendall(bytes([0x80 | OP_CLOSE, 0x80 | 2]) + mask + body)
            except OSError:
                pass
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
