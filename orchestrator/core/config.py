"""Settings, read from the environment once and passed in (never imported as globals by services)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    database_url: str
    broker_url: str | None = None
    data_dir: Path = REPO_ROOT / "var" / "data"
    forms_dir: Path = REPO_ROOT / "forms"
    processes_dir: Path = REPO_ROOT / "processes"
    templates_dir: Path = REPO_ROOT / "templates"
    max_upload_bytes: int = 5 * 1024 * 1024
    max_material_bytes: int = 10 * 1024 * 1024

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        default_db = f"sqlite:///{REPO_ROOT / 'var' / 'onewindow.db'}"
        return cls(
            database_url=env.get("ONEWINDOW_DATABASE_URL") or default_db,
            broker_url=env.get("ONEWINDOW_BROKER_URL") or None,
            data_dir=Path(env.get("ONEWINDOW_DATA_DIR") or REPO_ROOT / "var" / "data"),
            forms_dir=Path(env.get("ONEWINDOW_FORMS_DIR") or REPO_ROOT / "forms"),
            processes_dir=Path(env.get("ONEWINDOW_PROCESSES_DIR") or REPO_ROOT / "processes"),
            templates_dir=Path(env.get("ONEWINDOW_TEMPLATES_DIR") or REPO_ROOT / "templates"),
            max_upload_bytes=int(env.get("ONEWINDOW_MAX_DEPLOY_BYTES") or 5 * 1024 * 1024),
            max_material_bytes=int(env.get("ONEWINDOW_MAX_MATERIAL_BYTES") or 10 * 1024 * 1024),
        )
