# Engine threads (the delivery thread) enter Python through `with gil`. A
# thread without a Python thread state makes CPython create and destroy one
# for every such block (an mmap/munmap pair each time: ~5.5 us per frame,
# measured in benchmarks/bench_dispatch.py). Each engine thread therefore gets
# one thread state on its first callback and keeps it for its whole life;
# afterwards `with gil` is a plain GIL acquisition (~0.1 us).
# The kept state is freed with the interpreter; atexit releases every service
# (joining its threads) before finalization starts.

cdef extern from *:
    """
    static __thread int agora_rtc_thread_state_kept = 0;
    static void agora_rtc_keep_thread_state(void)
    {
        if (!agora_rtc_thread_state_kept) {
            agora_rtc_thread_state_kept = 1;
            PyGILState_Ensure();    /* creates this thread's state, takes the GIL */
            PyEval_SaveThread();    /* releases the GIL, keeps the state */
        }
    }
    """
    void agora_rtc_keep_thread_state() nogil


cdef inline void _keep_thread_state() noexcept nogil:
    agora_rtc_keep_thread_state()
