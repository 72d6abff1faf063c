"""scripts/run.sh, the README's two commands: what it does when the machine lacks a package."""
import os
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


@pytest.fixture
def checkout_lacking_a_package():
    """A copy of scripts/run.sh whose package list names a package no machine has."""
    top = tempfile.mkdtemp(prefix="agora-run-")
    os.chmod(top, 0o755)
    os.makedirs(os.path.join(top, "scripts"))
    os.makedirs(os.path.join(top, "src", "agora_rtc"))
    shutil.copy(os.path.join(ROOT, "scripts", "run.sh"), os.path.join(top, "scripts"))
    with open(os.path.join(top, "src", "agora_rtc", "debian_packages.txt"), "w") as f:
        f.write("# need package probe purpose\n"
                "build   pkg-config                   cmd:pkg-config  finds libraries\n"
                "build   agora-rtc-no-such-package    cmd:nothing     a package no machine has\n"
                "test    agora-rtc-only-for-tests     cmd:nothing     needed by the suite only\n")
    for d, _, files in os.walk(top):
        for name in files:
            os.chmod(os.path.join(d, name), 0o755)
    yield top
    shutil.rmtree(top)


def run_as_non_root(args, cwd):
    cmd = ["bash", "scripts/run.sh", *args]
    if os.geteuid() == 0:   # drop to nobody: the non-root path is what is tested
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--reset-env", *cmd]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian system (no dpkg-query)")
def test_non_root_names_the_missing_packages_and_the_command(checkout_lacking_a_package):
    demo = run_as_non_root(["demo"], checkout_lacking_a_package)
    assert demo.returncode == 1
    assert "sudo apt-get install -y agora-rtc-no-such-package" in demo.stderr
    assert "agora-rtc-only-for-tests" not in demo.stderr      # the demo needs the build part only
    assert "pkg-config" not in demo.stderr.split("installed:")[1]   # installed ones are not named
    # It stopped before touching anything: no virtual environment was made.
    assert not os.path.exists(os.path.join(checkout_lacking_a_package, ".venv"))
    test = run_as_non_root(["test"], checkout_lacking_a_package)
    assert test.returncode == 1
    assert "sudo apt-get install -y agora-rtc-no-such-package agora-rtc-only-for-tests" in test.stderr


def test_unknown_command_is_refused(checkout_lacking_a_package):
    proc = subprocess.run(["bash", "scripts/run.sh", "deploy"], cwd=checkout_lacking_a_package,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage: bash scripts/run.sh demo | test" in proc.stderr
