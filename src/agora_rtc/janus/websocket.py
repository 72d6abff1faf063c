"""The WebSocket client of the Janus WebSocket API, on the ``websockets`` package.

A thin adapter over ``websockets.sync.client`` (the threaded client of the
field's standard library) with the small interface the Janus code uses:
`WebSocket.connect`, `send_text`, `recv`, `wait_readable`, `close`, `closed`,
and errors that are OSErrors (`WebSocketError`, `WebSocketClosed`), which is
what the Janus transport and the liveness prober catch.

Settings chosen for a JSON API client on loopback: no compression, no proxy,
no keepalive pings of the library (Janus sessions have their own keepalive,
and the liveness prober decides when a Janus is frozen), messages of at most
`MAX_MESSAGE` bytes, a plain connection object (``legacy=True``: the
connection lives as long as its owner, not a ``with`` block). `close` sends the close frame and drops the TCP
connection without waiting for the server's answer, so closing never blocks
on a frozen Janus.

Threading: one thread reads (`recv`, `wait_readable`), any thread may `send_text`
(the library serialises sends); `close` may be called from any thread and wakes
a blocked `recv`, which then raises `WebSocketClosed`.
"""
from __future__ import annotations

import threading
from typing import Optional, Union

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

__all__ = ["WebSocket", "WebSocketError", "WebSocketClosed", "MAX_MESSAGE"]

MAX_MESSAGE = 16 << 20   # a Janus JSON message is a few KB; refuse absurd sizes


class WebSocketError(OSError):
    """The handshake failed or the peer broke the protocol."""


class WebSocketClosed(WebSocketError):
    """The connection is closed (by the peer, by `close`, or it broke)."""


def _closed_error(e: ConnectionClosed) -> WebSocketClosed:
    # str(e) names the close codes and reasons both ways, e.g. "received 1000 (OK); then
    # sent 1000 (OK)" or "sent 1002 (protocol error) reserved bits must be 0; no close
    # frame received"
    return WebSocketClosed(f"the WebSocket closed: {e}")


class WebSocket:
    """One client connection. Use `WebSocket.connect`."""

    def __init__(self, connection: ClientConnection) -> None:
        self._conn = connection
        # A message (or the end of the connection) that `wait_readable` took off the
        # connection and the next `recv` returns (raises). Only the reading thread uses it.
        self._pending: Union[str, WebSocketError, None] = None
        self._close_lock = threading.Lock()
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
            The TCP connection failed or timed out (TimeoutError).
        """
        h = f"[{host}]" if ":" in host else host
        uri = f"ws://{h}:{port}{path or '/'}"
        try:
            conn = connect(uri, subprotocols=[subprotocol] if subprotocol else None,
                           open_timeout=timeout, compression=None, proxy=None,
                           ping_interval=None, close_timeout=0, max_size=MAX_MESSAGE,
                           user_agent_header=None, legacy=True)   # legacy: a plain connection
        except (InvalidHandshake, InvalidURI) as e:
            raise WebSocketError(f"WebSocket handshake refused by {uri}: {e}") from e
        if subprotocol and conn.subprotocol != subprotocol:
            conn.close()
            raise WebSocketError(f"WebSocket handshake: subprotocol {subprotocol!r} not accepted")
        return cls(conn)

    @property
    def closed(self) -> bool:
        """True once `close` was called or the connection ended."""
        return self._closed or self._conn.close_code is not None

    def send_text(self, text: str) -> None:
        """Send one text message."""
        if self._closed:
            raise WebSocketClosed("WebSocket is closed")
        try:
            self._conn.send(text)
        except ConnectionClosed as e:
            raise _closed_error(e) from e
        except OSError as e:
            raise WebSocketClosed(f"WebSocket send failed: {e}") from e

    def _next(self, timeout: Optional[float]) -> Union[str, WebSocketError]:
        """The next message, or the error that ended the connection; TimeoutError when
        nothing came within ``timeout`` seconds."""
        try:
            return self._conn.recv(timeout, decode=True)
        except ConnectionClosed as e:
            return _closed_error(e)
        except UnicodeDecodeError as e:
            return WebSocketError(f"WebSocket message is not UTF-8: {e}")
        except WebSocketException as e:
            return WebSocketError(f"WebSocket error: {e}")

    def wait_readable(self, timeout: float) -> bool:
        """True when `recv` will return (a message arrived, or the connection ended and
        `recv` raises at once) within `timeout` seconds; False otherwise. For the thread
        that reads, to wait with a deadline."""
        if self._pending is not None:
            return True
        try:
            self._pending = self._next(max(0.0, timeout))
        except TimeoutError:
            return False
        return True

    def recv(self) -> str:
        """Block until the next data message and return it as text (binary messages
        are decoded as UTF-8 too).

        Raises `WebSocketClosed` when the connection ends (close frame, EOF, `close`,
        or a protocol error of the peer, which closes it).
        """
        got, self._pending = self._pending, None
        if got is None:
            got = self._next(None)
        if isinstance(got, WebSocketError):
            self._pending = got   # every later recv raises too
            raise got
        return got

    def close(self) -> None:
        """Send a close frame (best effort) and close the connection; wakes a blocked `recv`."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._conn.close()
        except OSError:
            pass
