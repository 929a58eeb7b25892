"""The web app as a whole: the factory's settings, language, CSRF, and `onewindow serve` really serving."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from webapp import csrf_of

from orchestrator.core.config import REPO_ROOT, Settings


def test_outside_demo_mode_a_secret_key_is_required(tmp_path, monkeypatch):
    from admin import create_app

    monkeypatch.delenv("ONEWINDOW_SECRET_KEY", raising=False)
    monkeypatch.delenv("ONEWINDOW_DEMO", raising=False)
    with pytest.raises(RuntimeError, match="ONEWINDOW_SECRET_KEY is required"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path / "data"))


def test_chinese_by_default_english_on_request(site):
    client = site.client("minzheng")
    page = client.get("/cases/NO-SUCH-CASE").get_data(as_text=True)
    assert "未找到" in page
    client.get("/lang/en")
    page = client.get("/cases/NO-SUCH-CASE").get_data(as_text=True)
    assert "Not found" in page and "未找到" not in page


def test_forms_need_their_csrf_token(site):
    client = site.app.test_client()
    refused = client.post("/login/", data={"username": "frontdesk", "password": "demo"})
    assert refused.status_code == 400  # no token: not even a login goes through
    token = csrf_of(client.get("/login/").get_data(as_text=True))
    ok = client.post("/login/", data={"username": "frontdesk", "password": "demo", "csrf_token": token})
    assert ok.status_code == 302


def test_wrong_password_and_anonymous_users_get_nothing(site):
    client = site.app.test_client()
    token = csrf_of(client.get("/login/").get_data(as_text=True))
    client.post("/login/", data={"username": "frontdesk", "password": "wrong", "csrf_token": token})
    assert client.get("/inbox/").status_code in (302, 401, 403)
    assert client.get("/api/v1/tasks/").status_code == 401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_onewindow_serve_serves_the_demo(tmp_path):
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "ONEWINDOW_DATA_DIR": str(tmp_path / "data"),
        "ONEWINDOW_DEMO": "1",
    }
    cli = [sys.executable, "-m", "orchestrator.cli"]
    subprocess.run([*cli, "demo", "--json"], env=env, check=True, capture_output=True, cwd=REPO_ROOT)
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"no answer from onewindow serve: {server.stderr.read1().decode()[-2000:]}")
        assert 'name="csrf_token"' in body and "OneWindow" in body
    finally:
        server.terminate()
        server.wait(timeout=10)
