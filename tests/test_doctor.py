"""`python -m agora_rtc doctor`: what the machine has and lacks, per part, in plain words."""
import os
import shutil
import subprocess
import sys

import pytest

from agora_rtc import doctor


def run_doctor(*args, env=None):
    return subprocess.run([sys.executable, "-m", "agora_rtc", "doctor", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_every_line_of_the_package_list_parses_and_probes():
    reqs = doctor.load_requirements()
    assert {r.need for r in reqs} == set(doctor.PARTS) - {"engine"}
    for r in reqs:
        doctor.probe(r.probe)            # a known probe kind: no ValueError
    # The list names the libraries the engine links (CMakeLists.txt's pkg_check_modules).
    assert {r.probe for r in reqs if r.need == "build"} >= {"pc:opus", "pc:libsrtp2", "pc:speexdsp"}


def test_a_malformed_line_is_named(tmp_path):
    bad = tmp_path / "list.txt"
    bad.write_text("# comment\nbuild pkg-config cmd:pkg-config ok\nnetwork janus cmd:janus what\n")
    with pytest.raises(ValueError, match=r"list.txt:3: expected 'need package kind:probe purpose'"):
        doctor.load_requirements(bad)
    with pytest.raises(ValueError, match="unknown probe kind 'exe'"):
        doctor.probe("exe:janus")


def test_probes_find_what_exists_and_only_that(tmp_path):
    assert doctor.probe("cmd:sh") == shutil.which("sh")
    assert doctor.probe("cmd:surely-not-a-command-xyz") is None
    f = tmp_path / "a.wav"
    f.write_bytes(b"")
    assert doctor.probe(f"file:{f}") == str(f)
    assert doctor.probe(f"file:{tmp_path}/b.wav") is None
    assert doctor.probe(f"glob:{tmp_path}/*.wav") == str(f)
    assert doctor.probe(f"glob:{tmp_path}/*.mp3") is None


def test_engine_part_reports_where_the_native_libraries_come_from():
    findings = {f.name: f for f in doctor.check_part("engine", [])}
    assert findings["engine"].ok and findings["service"].ok
    for lib in doctor.NATIVE_LIBRARIES:
        assert findings[lib].ok, findings[lib]
        path = findings[lib].detail.split(" ")[0]
        assert os.path.basename(path).startswith(lib) and os.path.exists(path)


def test_report_on_this_machine_matches_its_tools():
    proc = run_doctor()
    out = proc.stdout
    assert "Local network (the default transport) and the engine: ready" in out
    janus_ready = shutil.which("janus") is not None
    assert ("Janus transport (janus:// URLs): ready" in out) == janus_ready
    for part in doctor.PARTS.values():
        assert part in out
    # Exit 0 without --need: the report is information.
    assert proc.returncode == 0, proc.stderr


def test_a_missing_tool_is_named_with_its_package_and_need_fails(tmp_path):
    # A PATH holding only this Python: janus, vpxenc, chromium, ... are all missing.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(sys.executable, bindir / "python")
    env = dict(os.environ, PATH=str(bindir))
    proc = run_doctor("--need", "janus", env=env)
    assert proc.returncode == 1
    assert "Janus transport (janus:// URLs): NOT READY" in proc.stdout
    assert "MISSING  janus " in proc.stdout
    install = proc.stdout.split("To install what is missing (Debian, as root):\n")[1]
    assert "apt-get install -y" in install and " janus" in install and "vpx-tools" in install
    # The local network needs none of it.
    assert "Local network (the default transport) and the engine: ready" in proc.stdout
    # Only the parts asked for decide the status: the engine alone is there.
    janus_ready = all(f.ok for f in doctor.check_part("janus", doctor.load_requirements()))
    assert run_doctor("--need", "janus").returncode == (0 if janus_ready else 1)


def test_unknown_part_or_command_is_refused():
    proc = run_doctor("--need", "teleport")
    assert proc.returncode == 2 and "invalid choice: 'teleport'" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "agora_rtc", "cure"], capture_output=True, text=True)
    assert proc.returncode == 1 and "usage: python -m agora_rtc doctor" in proc.stderr
