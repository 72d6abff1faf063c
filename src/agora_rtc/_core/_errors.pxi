# Error codes -> exceptions, and what happens to exceptions raised in observers.

from agora_rtc import errors as _errors

_log = logging.getLogger("agora_rtc")
cdef object _observer_exception_handler = None
cdef Py_ssize_t _observer_error_count = 0


cdef int check(int rc, str what) except -1:
    """Raise the exception mapped to a negative native return code."""
    if rc < 0:
        raise _errors.error_from_code(rc, what, lib.agora_strerror(rc).decode())
    return rc


def strerror(int code):
    """The engine's description of an error code."""
    return lib.agora_strerror(code).decode()


def set_observer_exception_handler(handler):
    """Set the function called with (event_name, observer, exception) when an
    observer raises. None restores the default (log it on the ``agora_rtc``
    logger, with the event name and the observer). Returns the previous one."""
    global _observer_exception_handler
    if handler is not None and not callable(handler):
        raise TypeError(f"handler must be callable or None, got {type(handler).__name__}")
    previous = _observer_exception_handler
    _observer_exception_handler = handler
    return previous


def observer_error_count():
    """How many exceptions observers have raised in this process."""
    return _observer_error_count


cdef void _report_observer_error(str event, object observer) noexcept:
    """Called from an except block with the GIL held; never raises."""
    global _observer_error_count
    _observer_error_count += 1
    try:
        exc = sys.exc_info()[1]
        handler = _observer_exception_handler
        if handler is not None:
            handler(event, observer, exc)
        else:
            _log.error("observer %r raised in %s", observer, event, exc_info=exc)
    except BaseException:
        try:
            _log.exception("the observer exception handler itself raised (event %s)", event)
        except BaseException:
            pass
