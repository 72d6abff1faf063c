"""An RTM agent written for the original SDK (tests/compat_scripts/rtm_echo_agent.py:
agora.rtm imports, login, subscribe, echo, SIGINT, logout, release) runs unchanged
through the porting layer on the in-process network: a client of our own in the same
process sees it join (presence), gets its echoes on the channel and as a user
message, and sees it leave."""
import os
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "compat_scripts", "rtm_echo_agent.py")

DRIVER = textwrap.dedent(r'''
    import os, runpy, signal, sys, threading, time
    import agora_rtc.compat
    agora_rtc.compat.install()
    from agora_rtc import rtm

    class H(rtm.IRtmEventHandler):
        def __init__(self):
            self.events, self.cond = [], threading.Condition()
        def _add(self, e):
            with self.cond:
                self.events.append(e); self.cond.notify_all()
        def on_presence_event(self, e): self._add(("presence", int(e.type), e.publisher))
        def on_message_event(self, e): self._add(("message", int(e.channel_type), e.message, e.publisher))
        def wait(self, pred, timeout=20):
            end = time.monotonic() + timeout
            with self.cond:
                while not pred(self.events):
                    assert time.monotonic() < end, self.events
                    self.cond.wait(0.1)

    def tester():
        h = H()
        c = rtm.create_rtm_client(rtm.RtmConfig(app_id="app", user_id="tester", event_handler=h))
        c.login("t")
        c.subscribe("chan", rtm.SubscribeOptions(with_presence=True, be_quiet=False))
        J = rtm.RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL
        L = rtm.RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_LEAVE_CHANNEL
        h.wait(lambda ev: ("presence", J, "agent") in ev)
        c.publish("chan", "héllo ✓")
        h.wait(lambda ev: sum(e[0] == "message" for e in ev) >= 2)
        os.kill(os.getpid(), signal.SIGINT)
        h.wait(lambda ev: ("presence", L, "agent") in ev)
        msgs = sorted((e[1], e[2], e[3]) for e in h.events if e[0] == "message")
        sys.stdout.write(f"TESTER {msgs}\n")   # one write: the agent's thread prints too
        sys.stdout.flush()
        c.release()

    t = threading.Thread(target=tester, daemon=True)
    t.start()
    sys.argv = [sys.argv[1], "app", "chan", "agent"]
    runpy.run_path(sys.argv[0], run_name="__main__")
    t.join(30)
    print("TESTER-DONE" if not t.is_alive() else "TESTER-STUCK", flush=True)
''')


def test_original_style_rtm_agent_runs_through_the_porting_layer(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AGORA_RTC_TRANSPORT_URL"}  # in-process
    proc = subprocess.run([sys.executable, "-c", DRIVER, SCRIPT], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=env)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "on_login_result 1 0" in out and "on_subscribe_result chan 0" in out, out
    assert "on_message_event chan " + repr("héllo ✓".encode()) + " tester" in out, out
    # the echoes: one on the channel (type 1), one as a user message (type 3)
    assert "TESTER [(1, " + repr("héllo ✓".encode()) + ", 'agent'), (3, " \
        + repr("héllo ✓".encode()) + ", 'agent')]" in out, out
    assert "on_logout_result" in out and "done" in out and "TESTER-DONE" in out, out
