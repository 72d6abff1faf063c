# Reading int16 PCM from any C-contiguous buffer without copying it.

cdef class _PcmView:
    """Holds a Py_buffer over user PCM while the engine copies it."""
    cdef Py_buffer view
    cdef bint held
    cdef const int16_t *samples
    cdef Py_ssize_t nbytes

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.view)


cdef _PcmView _pcm_view(object data, str what):
    """Accept bytes, bytearray, memoryview or a C-contiguous numpy int16 array."""
    if data is None:
        raise TypeError(f"{what}: expected int16 PCM (bytes, bytearray, memoryview or numpy int16 array), got None")
    if isinstance(data, str):
        raise TypeError(f"{what}: expected int16 PCM as a bytes-like object or numpy int16 array, got str")
    dtype = getattr(data, "dtype", None)
    if dtype is not None and (dtype.kind != "i" or dtype.itemsize != 2):
        raise TypeError(f"{what}: expected a numpy int16 array, got dtype {dtype}; "
                        f"convert with .astype(numpy.int16)")
    cdef _PcmView v = _PcmView()
    try:
        PyObject_GetBuffer(data, &v.view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    except (BufferError, TypeError, ValueError) as exc:
        raise TypeError(f"{what}: expected a C-contiguous bytes-like object or numpy int16 array, "
                        f"got {type(data).__name__} ({exc})") from None
    v.held = True
    fmt = v.view.format.decode() if v.view.format != NULL else "B"
    fmt = fmt.lstrip("@=<")
    if v.view.itemsize == 1 and fmt in ("B", "b", "c"):
        pass
    elif v.view.itemsize == 2 and fmt == "h":
        pass
    else:
        raise TypeError(f"{what}: expected int16 samples or raw bytes, got items of format {fmt!r} "
                        f"({v.view.itemsize} bytes each); convert with numpy .astype(numpy.int16)")
    v.samples = <const int16_t *>v.view.buf
    v.nbytes = v.view.len
    return v
