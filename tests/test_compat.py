"""The opt-in porting layer (agora_rtc.compat): a script written for the
original SDK (imports from agora.rtc.*) runs unchanged through
`python -m agora_rtc.compat`, and nothing named `agora` exists without it."""
import importlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

import agora_rtc as ar
from agora_rtc import compat

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "compat_scripts", "original_style_agent.py")
ASSETS = os.path.join(HERE, "..", "examples", "assets")


def run_compat(args, env_extra=None, timeout=120, cwd=None):
    env = dict(os.environ)
    env.pop("AGORA_RTC_TRANSPORT_URL", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "agora_rtc.compat", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=cwd)


def result_of(proc):
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (f"rc={proc.returncode}\nstdout:\n{proc.stdout}\n"
                                            f"stderr:\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def check_agent_result(res):
    assert res["push_ret"] == 0
    assert res["states"][:1] == [1] and 3 in res["states"], res["states"]
    assert res["vad_bytes"] > 16000  # more than half a second of speech went to "ASR"
    assert res["samples_per_sec"] == [16000]
    assert res["joined"] == ["2000"]
    assert res["messages"] == [["2000", "turn-done", 9]]
    assert res["consumer_class"] == "AudioConsumer"


@pytest.fixture
def hook():
    compat.install()
    yield
    compat.uninstall()


def test_original_style_script_runs_unchanged_through_the_runner(tmp_path):
    proc = run_compat([SCRIPT, "appid", "compat-room", os.path.join(ASSETS, "caller_question.wav")],
                      cwd=tmp_path)
    check_agent_result(result_of(proc))


def test_transport_url_from_environment_reaches_the_unmodified_script(tmp_path):
    # the script only sets appid; the environment chooses the network
    proc = run_compat([SCRIPT, "appid", "compat-env", os.path.join(ASSETS, "caller_question.wav")],
                      env_extra={"AGORA_RTC_TRANSPORT_URL": "local://"}, cwd=tmp_path)
    check_agent_result(result_of(proc))
    bad = run_compat([SCRIPT, "appid", "compat-env", os.path.join(ASSETS, "caller_question.wav")],
                     env_extra={"AGORA_RTC_TRANSPORT_URL": "carrier-pigeon://x"}, cwd=tmp_path)
    assert bad.returncode != 0 and "carrier-pigeon" in bad.stderr


@pytest.mark.skipif("not __import__('agora_rtc.janus').janus.janus_available()")
def test_original_style_script_through_janus_by_environment(tmp_path):
    from agora_rtc.janus import JanusServer
    with JanusServer() as srv:
        url = f"{srv.transport_url}?admin_key={srv.admin_key}"
        proc = run_compat([SCRIPT, "appid", "4242", os.path.join(ASSETS, "caller_question.wav")],
                          env_extra={"AGORA_RTC_TRANSPORT_URL": url}, cwd=tmp_path, timeout=180)
    res = result_of(proc)
    assert res["push_ret"] == 0
    assert res["states"][:1] == [1] and 3 in res["states"], res["states"]
    assert res["joined"] == ["2000"]


def test_no_agora_package_without_the_hook():
    code = ("import importlib.util, agora_rtc, agora_rtc.compat\n"
            "print(importlib.util.find_spec('agora') is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr


def test_hook_maps_original_modules_onto_agora_rtc(hook):
    rc = importlib.import_module("agora.rtc.rtc_connection")
    assert rc.RTCConnection is ar.RTCConnection
    assert importlib.import_module("agora.rtc.audio_frame_observer").IAudioFrameObserver is ar.IAudioFrameObserver
    assert importlib.import_module("agora.rtc.local_user_observer").IRTCLocalUserObserver is ar.IRTCLocalUserObserver
    assert importlib.import_module("agora.rtc.rtc_connection_observer").IRTCConnectionObserver \
        is ar.IRTCConnectionObserver
    assert importlib.import_module("agora.rtc.voice_detection").AudioVadV2 is ar.AudioVadV2
    assert issubclass(importlib.import_module("agora.rtc.utils.audio_consumer").AudioConsumer, ar.AudioConsumer)
    # the original's VadDump (open / write(frame, bytes, state) / close) on agora_rtc's
    assert issubclass(importlib.import_module("agora.rtc.utils.vad_dump").VadDump, ar.VadDump)
    assert issubclass(importlib.import_module("agora.rtc.agora_service").AgoraService, ar.AgoraService)
    assert importlib.import_module("agora.rtc.audio_vad_manager").AudioVadManager is ar.AudioVadManager
    base = importlib.import_module("agora.rtc.agora_base")
    assert base.ClientRoleType.CLIENT_ROLE_BROADCASTER == 1
    assert base.AudioScenarioType.AUDIO_SCENARIO_AI_SERVER == 9
    assert base.ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING == 1
    assert base.AreaCode.AREA_CODE_GLOB == 0xFFFFFFFF
    assert base.VideoCodecType.VIDEO_CODEC_H264 == 2
    param = importlib.import_module("agora.rtc.agora_parameter")
    assert param.AgoraParameter.__module__ == "agora_rtc.agora_parameter"


def test_rtm_modules_serve_agora_rtc_rtm_and_unknown_modules_name_the_reason(hook):
    from agora_rtc import rtm
    client = importlib.import_module("agora.rtm.rtm_client")
    assert client.RTMClient is rtm.RTMClient and client.create_rtm_client is rtm.create_rtm_client
    base = importlib.import_module("agora.rtm.rtm_base")
    assert base.IRtmEventHandler is rtm.IRtmEventHandler and base.RtmConfig is rtm.RtmConfig
    assert importlib.import_module("agora.rtm.rtm_event_handler").IRtmEventHandler is rtm.IRtmEventHandler
    assert importlib.import_module("agora.rtm").RtmChannelType.RTM_CHANNEL_TYPE_USER == 3
    with pytest.raises(ImportError, match="not a module of the original SDK"):
        importlib.import_module("agora.rtm.no_such_module")
    with pytest.raises(ImportError, match="not a module of the original SDK"):
        importlib.import_module("agora.rtc.no_such_module")


def test_uninstall_removes_the_modules(hook):
    importlib.import_module("agora.rtc.agora_base")
    compat.uninstall()
    assert not compat.installed()
    assert "agora" not in sys.modules and "agora.rtc.agora_base" not in sys.modules
    with pytest.raises(ImportError):
        importlib.import_module("agora.rtc.agora_base")
    compat.install()  # the fixture uninstalls again


def test_install_refuses_when_a_foreign_agora_is_loaded(tmp_path):
    (tmp_path / "agora").mkdir()
    (tmp_path / "agora" / "__init__.py").write_text("")
    code = textwrap.dedent("""
        import agora, agora_rtc.compat
        try:
            agora_rtc.compat.install()
        except RuntimeError as exc:
            print("refused:", exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path)
    assert "refused:" in out.stdout and "already imported" in out.stdout, out.stderr


def test_runner_usage_errors(tmp_path):
    assert run_compat([]).returncode == 2
    missing = run_compat([str(tmp_path / "nope.py")])
    assert missing.returncode == 2 and "no such script" in missing.stderr


def test_runner_passes_argv_and_runs_modules(tmp_path):
    (tmp_path / "orig_mod.py").write_text(textwrap.dedent("""
        import sys
        from agora.rtc.agora_base import AudioScenarioType
        print("ARGV", sys.argv[1:], int(AudioScenarioType.AUDIO_SCENARIO_AI_SERVER), __name__)
    """))
    by_path = run_compat([str(tmp_path / "orig_mod.py"), "a", "b"])
    assert "ARGV ['a', 'b'] 9 __main__" in by_path.stdout, by_path.stderr
    by_module = run_compat(["-m", "orig_mod", "c"], cwd=tmp_path)
    assert "ARGV ['c'] 9 __main__" in by_module.stdout, by_module.stderr
