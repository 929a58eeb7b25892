"""What a domain adds to deployment: the check of a unit's catalog entry (`item.yaml`) and checks of the
domain's properties in the diagrams. The deploy layer knows neither; the government domain registers both
(`orchestrator.gov.install`)."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from orchestrator.core.errors import Problem

CatalogCheck = Callable[[dict, set[str]], tuple[dict | None, list[Problem]]]
"""(entry as read from YAML, group codes) → (the entry to store with its defaults, or None; problems)."""
DiagramCheck = Callable[[etree._ElementTree, str], list[Problem]]
"""(a parsed BPMN file, its file name) → problems."""

FormPreparer = Callable[[dict | None, dict], dict]
"""(the unit's catalog entry or None, a form's JSON Schema) → the form as stored (e.g. lists filled from
the catalog)."""

_catalog_check: CatalogCheck | None = None
_form_preparers: list[FormPreparer] = []
_diagram_checks: list[DiagramCheck] = []


def set_catalog_check(check: CatalogCheck) -> None:
    global _catalog_check
    _catalog_check = check


def add_diagram_check(check: DiagramCheck) -> None:
    if check not in _diagram_checks:
        _diagram_checks.append(check)


def add_form_preparer(preparer: FormPreparer) -> None:
    if preparer not in _form_preparers:
        _form_preparers.append(preparer)


def prepare_form(entry: dict | None, form: dict) -> dict:
    for preparer in _form_preparers:
        form = preparer(entry, form)
    return form


def catalog_check() -> CatalogCheck | None:
    return _catalog_check


def diagram_checks() -> list[DiagramCheck]:
    return list(_diagram_checks)
