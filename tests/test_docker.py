"""The docker/ deployment and /health. No Docker daemon runs here, so compose.yaml and the Dockerfile are
checked as the files an operator reads; the compose file's own migrate and web commands then really run on
the host (the issue asks that the same commands work without Docker)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine

from orchestrator.core.config import REPO_ROOT

DOCKER = REPO_ROOT / "docker"
COMPOSE_TEXT = (DOCKER / "compose.yaml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)  # PyYAML resolves the anchors and `<<` merges as compose does
DOCKERFILE = (DOCKER / "Dockerfile").read_text()
APP_SERVICES = ("migrate", "web", "worker", "beat")
SECRETS = ("POSTGRES_PASSWORD", "ONEWINDOW_SECRET_KEY")
DEAD_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/x"


def service(name: str) -> dict:
    return COMPOSE["services"][name]


def healthcheck_test(name: str) -> str:
    test = service(name)["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


# --- compose.yaml ---------------------------------------------------------------------------------------------


def test_compose_has_the_six_services_and_two_volumes():
    assert "version" not in COMPOSE  # the Compose spec, not the retired v2/v3 file formats
    assert set(COMPOSE["services"]) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert set(COMPOSE["volumes"]) == {"pgdata", "materials"}
    assert service("postgres")["image"] == "postgres:16"
    assert service("redis")["image"] == "redis:7"
    assert "pgdata:/var/lib/postgresql/data" in service("postgres")["volumes"]
    assert "materials:/data" in service("web")["volumes"]
    assert "materials:/data" in service("worker")["volumes"]


def test_app_services_share_one_image_built_from_the_dockerfile():
    images = {service(name)["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        build = service(name)["build"]
        assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"
        env = service(name)["environment"]
        assert env["ONEWINDOW_BROKER_URL"] == "redis://redis:6379/0"
        assert env["ONEWINDOW_DATA_DIR"] == "/data"
        assert service(name)["init"] is True  # signals reach the process, zombies are reaped


def test_commands_of_the_app_services():
    web = service("web")["command"]
    assert web[0] == "gunicorn" and "--no-control-socket" in web
    assert web[web.index("--bind") + 1] == "0.0.0.0:8080" and web[-1] == "admin:create_app()"
    assert int(web[web.index("--workers") + 1]) >= 2
    assert service("migrate")["command"] == ["onewindow", "db", "upgrade"]
    assert service("worker")["command"] == ["onewindow", "worker"]
    assert service("beat")["command"] == ["onewindow", "beat"]


def test_health_checks():
    assert "pg_isready" in healthcheck_test("postgres")
    assert "redis-cli ping" in healthcheck_test("redis")
    assert "http://127.0.0.1:8080/health" in healthcheck_test("web")
    for name in ("migrate", "worker", "beat"):  # they serve no HTTP: the image's /health check is off
        assert service(name)["healthcheck"] == {"disable": True}


def test_start_order():
    migrate = service("migrate")
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        assert service(name)["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "redis": {"condition": "service_healthy"},
        }
        assert service(name)["restart"] == "unless-stopped"


def test_workers_scale_and_nothing_is_pinned_by_name():
    for name, spec in COMPOSE["services"].items():
        assert "container_name" not in spec, name  # a fixed name forbids --scale
    for name in ("worker", "beat", "migrate"):
        assert "ports" not in service(name)
    assert service("web")["ports"] == ["${ONEWINDOW_PORT:-8080}:8080"]


def test_secrets_are_required_from_the_environment_and_never_written_down():
    references = re.findall(r"\$\{([A-Z0-9_]+)(:?[?-])?([^}]*)\}", COMPOSE_TEXT)
    for var, op, _ in references:
        if var in SECRETS:
            assert op == ":?", f"${{{var}}} must be required (:?) so compose refuses to start without it"
        else:
            assert op == ":-", f"${{{var}}} needs a default"
    assert {var for var, _, _ in references} >= set(SECRETS)
    assert service("postgres")["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name in APP_SERVICES:
        env = service(name)["environment"]
        assert env["ONEWINDOW_SECRET_KEY"].startswith("${ONEWINDOW_SECRET_KEY:?")
        assert re.fullmatch(
            r"postgresql\+psycopg://onewindow:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432/onewindow",
            env["ONEWINDOW_DATABASE_URL"],
        )
    for name, spec in COMPOSE["services"].items():
        for key, value in (spec.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN", key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", value), f"{name}.{key} is hard-coded"
            for password in re.findall(r"://[^:/@\s]+:([^@\s]*)@", str(value)):
                assert password.startswith("${") and ":?" in password, f"{name}.{key} holds a password"


# --- Dockerfile -----------------------------------------------------------------------------------------------


def dockerfile_stages() -> list[tuple[str, str | None, str]]:
    """(image, alias, body) of each FROM stage, comments and line continuations folded."""
    text = re.sub(r"\\\n", " ", re.sub(r"(?m)^\s*#.*\n", "", DOCKERFILE))
    parts = re.split(r"(?m)^FROM\s+", text)[1:]
    stages = []
    for part in parts:
        head, _, body = part.partition("\n")
        words = head.split()
        stages.append((words[0], words[2] if len(words) > 2 and words[1].upper() == "AS" else None, body))
    return stages


def test_dockerfile_builds_in_stages_and_runs_slim():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    *builders, (final_image, _, final) = stages
    assert final_image == "python:3.11-slim"
    names = {alias for _, alias, _ in builders}
    assert any("pip wheel" in body for _, _, body in builders)
    assert any("tools/assets.sh" in body for _, _, body in builders)
    wheel_stage = next(body for _, _, body in builders if "pip wheel" in body)
    # bpmn-js is in admin/static/vendor before the wheel is built, and the wheel carries admin/static/**
    assert re.search(r"COPY --from=\S+ \S*admin/static/vendor admin/static/vendor", wheel_stage)
    assert wheel_stage.index("admin/static/vendor") < wheel_stage.index("pip wheel")
    assert '"static/**/*"' in (REPO_ROOT / "pyproject.toml").read_text()
    taken_from = set(re.findall(r"\bfrom=([\w.-]+)", final, flags=re.IGNORECASE))  # COPY --from / RUN --mount
    assert taken_from and taken_from <= names, "the final stage takes the wheels from a builder stage"
    assert "pip install --no-index" in final  # nothing but the built wheels
    assert not re.search(r"apt-get install[^\n]*\b(gcc|g\+\+|build-essential|nodejs|npm|make)\b", final)


def test_final_stage_runs_as_a_user_with_its_data_volume():
    *_, (_, _, final) = dockerfile_stages()
    user = re.findall(r"(?m)^USER\s+(\S+)", final)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"(?m)^WORKDIR /app$", final)
    assert "ONEWINDOW_DATA_DIR=/data" in final and re.search(r'(?m)^VOLUME \["?/data"?\]', final)
    assert re.search(r"chown [^\n]*onewindow[^\n]* /data", final)
    assert re.search(r"(?m)^EXPOSE 8080$", final)
    assert re.search(r"(?m)^HEALTHCHECK .*urllib.*http://127\.0\.0\.1:8080/health", final)


def test_the_image_starts_what_compose_starts_and_copies_files_that_exist():
    cmd = json.loads(re.search(r"(?m)^CMD (\[.*\])$", re.sub(r"\\\n\s*", "", DOCKERFILE)).group(1))
    assert cmd == service("web")["command"]
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for source in re.findall(r"(?m)^COPY (?!--from)(.+) \S+$", DOCKERFILE):
        for path in source.split():
            assert (REPO_ROOT / path).exists(), path
            assert path not in ignored, path
    for secret_or_local in (".git", ".venv", "node_modules", "var", "**/.env"):
        assert secret_or_local in ignored


# --- the same commands without Docker ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _venv_command(command: list[str]) -> list[str]:
    """The compose command, with its program taken from this venv's bin/ (as the image's PATH would)."""
    return [str(Path(sys.executable).parent / command[0]), *command[1:]]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_compose_commands_serve_on_the_host(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEWINDOW_", "PROMETHEUS_"))}
    env |= {
        "ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'onewindow.db'}",
        "ONEWINDOW_DATA_DIR": str(tmp_path / "data"),
        "ONEWINDOW_SECRET_KEY": "host-run-secret-key-of-at-least-32-bytes",
    }
    subprocess.run(
        _venv_command(service("migrate")["command"]), env=env, cwd=REPO_ROOT, check=True, capture_output=True
    )
    port = _free_port()
    web = list(service("web")["command"])
    web[web.index("--bind") + 1] = f"127.0.0.1:{port}"  # four workers, as in compose, on a fresh database
    server = subprocess.Popen(
        _venv_command(web), env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        for _ in range(150):
            try:
                status, body = _get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-3000:]
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn never answered /health")
        assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
        status, login = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and 'name="csrf_token"' in login and "OneWindow" in login
        status, scraped = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "onewindow_" in scraped
        assert "process_cpu_seconds_total" not in scraped  # summed over the workers (multi-process mode)
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr.decode()[-3000:]
    log = stderr.decode()
    assert "Traceback" not in log and "Worker failed to boot" not in log
    assert log.count("Booting worker") == 4


# --- /health --------------------------------------------------------------------------------------------------


def test_health_needs_no_login(site):
    r = site.app.test_client().get("/health")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "database": "ok"}
    assert r.headers["Cache-Control"] == "no-store"


def test_health_is_503_when_the_database_is_unreachable(site):
    from admin import create_app

    app = create_app(site.settings, {"SECRET_KEY": "x" * 32, "ONEWINDOW_RUN_JOBS": False})  # its own service
    store = app.extensions["onewindow"].store
    store.engine.dispose()
    store.engine = create_engine(DEAD_DATABASE)  # the database server goes away (nothing listens on port 1)
    r = app.test_client().get("/health")
    assert r.status_code == 503
    assert r.json["status"] == "error" and r.json["database"] == "unreachable"
    assert "nobody" not in r.get_data(as_text=True)  # no user, host or URL in a public answer
    assert site.app.test_client().get("/health").status_code == 200  # the site's own service is untouched
