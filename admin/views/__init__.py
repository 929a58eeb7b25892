"""The pages. Each module registers its own views; a view calls `orchestrator` and renders."""

from __future__ import annotations

from flask_appbuilder import AppBuilder

from . import accept, cases, definitions, home, inbox, organisation, supervision

MODULES = (home, inbox, accept, cases, definitions, supervision, organisation)


def register(appbuilder: AppBuilder) -> None:
    for module in MODULES:
        module.register(appbuilder)
