"""The pages. Each module registers its own views; a view calls `orchestrator` and renders."""

from __future__ import annotations

from flask_appbuilder import AppBuilder

from . import (
    accept,
    accounts,
    cases,
    decisions,
    definitions,
    forms,
    home,
    importing,
    inbox,
    items,
    modeler,
    organisation,
    process_tests,
    stats,
    supervision,
    windows,
)

# In menu order; `forms`, `decisions` and `process_tests` are tabs of a version (after `definitions`),
# `accounts` and `windows` join the organisation's menu (after `organisation`).
MODULES = (
    home,
    inbox,
    accept,
    cases,
    definitions,
    forms,
    decisions,
    process_tests,
    modeler,
    importing,
    items,
    supervision,
    stats,
    organisation,
    accounts,
    windows,
)


def register(appbuilder: AppBuilder) -> None:
    for module in MODULES:
        module.register(appbuilder)
