"""Quiet by default: a command prints its own output only; `make demo` prints a handful of lines and no
warning; -v shows more."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from orchestrator.core.config import REPO_ROOT

CLI = [sys.executable, "-m", "orchestrator.cli"]


def _env(tmp_path, **more) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env |= {
        "ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'quiet.db'}",
        "ONEWINDOW_DATA_DIR": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
        **more,
    }
    return env


def run(tmp_path, *args: str, **more: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], env=_env(tmp_path, **more), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )


def test_a_command_writes_nothing_to_stderr_and_v_shows_more(tmp_path):
    assert run(tmp_path, "db", "upgrade").returncode == 0
    listed = run(tmp_path, "definitions")
    assert (listed.returncode, listed.stdout.strip(), listed.stderr) == (0, "[]", "")
    verbose = run(tmp_path, "-v", "db", "upgrade")
    assert verbose.returncode == 0 and " INFO " in verbose.stderr  # alembic says what it did
    assert run(tmp_path, "db", "upgrade", ONEWINDOW_LOG_LEVEL="INFO").stderr.count(" INFO ") > 0


def test_json_before_or_after_the_sub_command_and_errors_as_json(tmp_path):
    run(tmp_path, "db", "upgrade")
    for args in (["--json", "definitions"], ["definitions", "--json"]):
        out = run(tmp_path, *args)
        assert (out.returncode, out.stdout.strip()) == (0, "[]")
    missing = run(tmp_path, "--json", "case", "NOPE")
    assert missing.returncode == 4 and missing.stderr == ""
    assert missing.stdout.startswith("{") and '"code": "not_found"' in missing.stdout
    usage = run(tmp_path, "--json", "tasks", "--limit", "many")
    assert usage.returncode == 2 and '"code": "invalid_input"' in usage.stdout
    nobody = run(tmp_path, "tasks", "--as", "nobody")
    assert nobody.returncode == 4 and "no user 'nobody'" in nobody.stderr and nobody.stdout == ""
    assert run(tmp_path, "tasks", "--group", "no-such-group").returncode == 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_demo_prints_a_handful_of_lines_and_no_warning(tmp_path):
    port = _free_port()
    env = _env(tmp_path)
    demo = subprocess.Popen(
        ["make", "-s", "demo", f"PORT={port}"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert demo.poll() is None, demo.stdout.read()
                time.sleep(0.5)
        else:
            pytest.fail("make demo did not serve within 240 s")
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()  # a request logs nothing
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            output, _ = demo.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)  # never leave a server behind
            raise
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) < 30, output
    assert not [line for line in lines if "WARNING" in line.upper()], output
    assert any(f"http://127.0.0.1:{port}" in line for line in lines)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_on_ctrl_c_or_sigterm_even_when_started_in_the_background(tmp_path, stop):
    """A shell starts background jobs with SIGINT ignored; the server still stops on it, and on a service
    manager's SIGTERM, with exit status 0."""
    assert run(tmp_path, "db", "upgrade").returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=_env(tmp_path, ONEWINDOW_SECRET_KEY="x" * 32),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.3)
        server.send_signal(stop)
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_database_that_was_never_set_up_says_run_db_upgrade(tmp_path):
    for args, lang in ((["definitions"], "C.UTF-8"), (["--json", "definitions"], "zh_CN.UTF-8")):
        out = run(tmp_path, *args, LANG=lang)
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert "onewindow db upgrade" in out.stdout + out.stderr
    assert '"code": "database_not_set_up"' in out.stdout and "请先运行" in out.stdout
