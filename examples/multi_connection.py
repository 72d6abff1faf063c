"""Many users in one process: a connection pool (the original's multi-connection sample).

One service per process; a ConnectionPool of agent connections created up
front. Each arriving user gets a pooled connection in their own channel, with
an echo agent (ReplyOnPause: whatever the user says is played back when they
pause); when the user leaves, the connection is disconnected, cleaned and
returned, and the next user reuses it. Users arrive in waves of --pool-size
and are served concurrently.

Run:  python examples/multi_connection.py [--users 4] [--pool-size 2]
"""
from __future__ import annotations

import argparse
import sys
import threading

import numpy as np

import agora_rtc as ar
from agora_rtc.agent import ConnectionPool, ReplyOnPause
from _shared import Listener, load_audio, sync_point

VAD = ar.AudioVadConfigV2(stopRecognizeCount=80)     # one utterance per sentence of the recording


def serve(service, pool, index, speech, results):
    channel = f"room-{index}"
    caller_obs = Listener()
    caller = service.create_rtc_connection(ar.RTCConnConfig())
    caller.register_observer(caller_obs)
    caller.register_local_user_observer(caller_obs)
    caller.register_audio_frame_observer(caller_obs)
    caller.connect("", channel, f"user-{index}")
    try:
        with pool.session(channel, "agent") as agent:
            echo = ReplyOnPause(lambda audio: iter([audio]), vad_configure=VAD)
            with echo.start(agent):
                if not caller_obs.connected.wait(5):
                    raise RuntimeError(f"{channel}: the caller did not connect")
                caller.publish_audio()
                caller.push_audio_pcm_data(np.concatenate([speech, np.zeros(8000, np.int16)]), 16000, 1)
                done = echo.wait_for("reply_done", 1, timeout=30)
            sync_point(agent, caller_obs)
            heard = bytes(caller_obs.pcm.get("agent", b""))
            utterances = echo.events("utterance")
            echoed = heard.rstrip(b"\0")
            results[index] = (id(agent), len(utterances), sum(e.ms for e in utterances), done[0].ms,
                              len(heard) / 32, len(echoed) > 0 and echoed in speech.tobytes())
    except Exception as exc:   # reported, and the summary shows the room missing
        print(f"{channel}: failed: {exc!r}", file=sys.stderr, flush=True)
    finally:
        caller.release()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=4)
    ap.add_argument("--pool-size", type=int, default=2)
    args = ap.parse_args(argv)
    speech = load_audio("agent_answer.wav")
    results = {}
    with ar.AgoraService(ar.AgoraServiceConfig(appid="example")) as service:
        with ConnectionPool(service, args.pool_size) as pool:
            for wave_start in range(0, args.users, args.pool_size):
                threads = [threading.Thread(target=serve, args=(service, pool, i, speech, results))
                           for i in range(wave_start, min(args.users, wave_start + args.pool_size))]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            conns = {r[0] for r in results.values()}
            for i in sorted(results):
                _, n, ms, played, heard, same = results[i]
                print(f"room-{i}: agent heard {n} utterance(s), {ms:.0f} ms; echoed {played:.0f} ms; "
                      f"user heard {heard:.0f} ms, same audio as spoken: {'yes' if same else 'no'}", flush=True)
            print(f"pool: {pool.sessions} sessions served by {len(conns)} connections "
                  f"(created {pool.created}, idle now {pool.idle})", flush=True)
    ok = len(results) == args.users and all(r[5] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
