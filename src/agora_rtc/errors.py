"""Exception hierarchy and the native error codes.

Programmer errors (wrong type, wrong length, wrong sample rate, use after
release) raise these exceptions. Runtime conditions that the original SDK
reports as negative return codes keep returning them (the ``ERR_*`` constants
below), so ported code that checks ``ret < 0`` keeps working.
"""
from __future__ import annotations

ERR_OK = 0
ERR_FAILED = -1
ERR_INVALID_ARGUMENT = -2
ERR_NOT_READY = -3
ERR_NOT_SUPPORTED = -4
ERR_REFUSED = -5
ERR_BUFFER_TOO_SMALL = -6
ERR_NOT_INITIALIZED = -7
ERR_INVALID_STATE = -8
ERR_NO_MEMORY = -11
ERR_TOO_OFTEN = -12
ERR_TOO_LARGE = -114


class AgoraError(Exception):
    """Base class of every exception raised by agora_rtc.

    Attributes
    ----------
    code : int
        The native error code (negative), or 0 when the error was detected in Python.
    """

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class InvalidArgumentError(AgoraError, ValueError):
    """An argument has the wrong value (range, length, format)."""


class InvalidStateError(AgoraError, RuntimeError):
    """The object is not in a state that allows the call."""


class ReleasedError(InvalidStateError):
    """The object (service or connection) was released and cannot be used."""


class ForkedProcessError(InvalidStateError):
    """The service or connection was inherited across ``os.fork()``.

    The engine's threads (media clock, I/O, delivery) do not survive fork, so
    in the child process every object created before the fork is dead: any
    use raises this error, and ``release()`` only forgets it (nothing of the
    parent's engine is touched, the parent's calls and sockets keep working).
    Create a new AgoraService in the child, or prefer the ``spawn`` or
    ``forkserver`` start method of multiprocessing.
    """


class NotSupportedError(AgoraError, NotImplementedError):
    """The engine or transport does not support the request."""


class EngineError(AgoraError, RuntimeError):
    """Any other failure reported by the native engine."""


_BY_CODE = {
    ERR_INVALID_ARGUMENT: InvalidArgumentError,
    ERR_INVALID_STATE: InvalidStateError,
    ERR_NOT_INITIALIZED: InvalidStateError,
    ERR_NOT_READY: InvalidStateError,
    ERR_NOT_SUPPORTED: NotSupportedError,
    ERR_TOO_LARGE: InvalidArgumentError,
    ERR_NO_MEMORY: MemoryError,
}


def error_from_code(code: int, what: str, reason: str) -> BaseException:
    """Build the exception for a negative native return code.

    Parameters
    ----------
    code : int
        Negative native error code.
    what : str
        The call that failed (e.g. ``"RTCConnection.connect"``).
    reason : str
        The engine's description of the code (``agora_strerror``).
    """
    cls = _BY_CODE.get(code, EngineError)
    message = f"{what} failed: {reason} (error {code})"
    if cls is MemoryError:
        return MemoryError(message)
    return cls(message, code)
