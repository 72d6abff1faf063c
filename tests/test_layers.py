"""The layering rules of docs/ARCHITECTURE.md that hold today, checked from the
sources and through the public API: the compiled Connection builds what it hands
to Python with the factories it was given (it never calls up into a subclass),
native.pxd declares public headers only, and the records of agora_rtc.base import
nothing of the engine."""
import os
import subprocess
import sys

import pytest

import agora_rtc as ar
from agora_rtc._core import _engine
from conftest import Recorder, join

ROOT = os.path.join(os.path.dirname(__file__), "..")
FACTORY_NAMES = ("conn_info", "volume_info", "encoded_audio_info", "remote_track", "video_track",
                 "transport_stats", "audio_track_stats", "push_completed", "slow_observer")


def show_structure(section):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "show_structure.py"), section],
                         capture_output=True, text=True, check=True, timeout=60)
    return out.stdout


def test_engine_module_declares_public_headers_only_and_calls_no_subclass_hook():
    out = show_structure("cython")
    assert "agora_rtc/connection.h" in out and "agora_rtc/video_rtp.h" in out
    assert "ENGINE-INTERNAL" not in out
    assert out.rstrip().endswith("(none)")      # no self._x() the compiled class does not define
    assert not [n for n in dir(ar.RTCConnection) if n.startswith("_make_")]


def test_records_import_nothing_of_the_engine():
    line = [ln for ln in show_structure("python").splitlines() if ln.strip().startswith("base ")]
    assert line and line[0].split("->")[1].split(", ") == [" agora_rtc.base"]


def test_c_section_finds_the_calls_between_files():
    out = show_structure("c")
    # a call the engine certainly makes: the service starts the statistics timer
    assert any(ln.strip().startswith("engine/service.c") and "engine/stats_timer.c" in ln
               for ln in out.splitlines())


def sections(out):
    """'== title ==' -> the lines under it."""
    found, title = {}, None
    for ln in out.splitlines():
        if ln.startswith("== "):
            title = ln.strip("= ").split(" (")[0]
            found[title] = []
        elif title:
            found[title].append(ln.strip())
    return found


def test_engine_layers_have_no_circle_and_no_upward_use():
    found = sections(show_structure("layers"))
    assert found["C engine: files outside the layers"] == ["(none)"]
    assert found["C engine: calls and includes against the layer order"] == ["(none)"]
    assert found["C engine: layers in a circle"] == ["(none)"]
    # the engine never names a transport: only the api layer sees both
    layers = {ln.split()[0]: ln.split("->")[1].strip() for ln in found["C engine layers"]}
    assert "net" not in layers["engine"] and "engine" in layers["net"]
    assert layers["api"] == "engine, net"


def test_layer_check_reports_an_upward_call_and_a_circle(tmp_path, monkeypatch):
    """The checker itself, on a made-up tree: core calling the engine is reported."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import show_structure as ss
    finally:
        sys.path.pop(0)
    for rel, text in {"core/a.c": "void core_fn(void) {\n    engine_fn();\n}\n",
                      "engine/b.c": "void engine_fn(void) {\n    core_fn();\n}\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.setattr(ss, "NATIVE", str(tmp_path))
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ss.c_layers()
    found = sections(buf.getvalue())
    assert found["C engine: calls and includes against the layer order"] == ["core/a.c calls engine/b.c"]
    assert found["C engine: layers in a circle"] == ["core, engine"]


def test_factories_are_checked_and_given_once(service):
    ok = {n: (lambda *a: None) for n in FACTORY_NAMES}
    with pytest.raises(TypeError, match="conn_info must be callable, got int"):
        _engine.ConnectionFactories(**dict(ok, conn_info=1))
    with pytest.raises(TypeError):
        _engine.ConnectionFactories(**{n: ok[n] for n in FACTORY_NAMES[1:]})   # one missing

    class NoFactories(_engine.Connection):
        pass
    bare = NoFactories()
    with pytest.raises(ar.InvalidStateError, match="_use_factories"):
        bare._native_open(service, 1, 1, 1, 16000, 1)
    bare._use_factories(_engine.ConnectionFactories(**ok))
    with pytest.raises(ar.InvalidStateError, match="given already"):
        bare._use_factories(_engine.ConnectionFactories(**ok))


class CountingConnection(ar.RTCConnection):
    """An RTCConnection whose factories count their calls, then make what the
    SDK's own factories make."""

    def _use_factories(self, factories):
        self.made = {}

        def counting(name):
            real = getattr(factories, name)

            def make(*args):
                self.made[name] = self.made.get(name, 0) + 1
                return real(*args)
            return make
        super()._use_factories(_engine.ConnectionFactories(**{n: counting(n) for n in FACTORY_NAMES}))


def test_the_compiled_connection_makes_records_with_its_factories(service):
    join(service, "factories", "alice")
    conn = CountingConnection(service, ar.RTCConnConfig())
    rec = Recorder()
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    assert conn.connect("", "factories", "bob") == 0
    rec.wait_event("connected")
    info = [e[1][0] for e in rec.events if e[0] == "connected"][0]
    assert isinstance(info, ar.RTCConnInfo) and info.channel_id == "factories" and info.local_user_id == "bob"
    rec.wait_event("subscribed", "alice")
    assert conn.made.get("conn_info", 0) >= 1 and conn.made.get("remote_track", 0) >= 1
    conn.release()
