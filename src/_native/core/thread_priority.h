/* A thread that must keep a deadline (the 10 ms receive tick) asks the kernel
 * to prefer it over the process's other threads (the Python dispatchers, the
 * app): a lower nice value for this thread alone (Linux: nice is per thread).
 * Needs CAP_SYS_NICE or an RLIMIT_NICE that allows it; without either the
 * thread goes as far as the limit allows, or stays where it is. */
#ifndef AGORA_RTC_THREAD_PRIORITY_H
#define AGORA_RTC_THREAD_PRIORITY_H

/* How many nice steps the receive threads ask for (nice -10 relative to the
 * process: CFS weight ~9x a nice-0 thread, the step audio servers take when
 * they run without real-time scheduling). */
#define AGORA_RECEIVE_NICE_BOOST 10

/* Lower the calling thread's nice value by `steps` (at most to -20, at most
 * to what RLIMIT_NICE allows); returns the nice value the thread has now. */
int agora_thread_prefer(int steps);

#endif
