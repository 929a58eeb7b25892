"""Keep the core's Chinese catalog in step with the code: `python tools/messages.py` adds every message id
marked with `_()` in orchestrator/ to orchestrator/core/locale/zh.po (untranslated) and drops ids the code no
longer uses. Translate the new entries, then run the tests (tests/test_i18n.py checks that none is missing).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "orchestrator"
ZH = CORE / "core" / "locale" / "zh.po"


def message_ids(folder: Path = CORE) -> dict[str, list[str]]:
    """Every literal first argument of a call to `_` in the folder's modules → where it is used."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def read(path: Path = ZH) -> Catalog:
    if not path.exists():
        return Catalog(locale="zh", project="OneWindow")
    with path.open("rb") as f:
        return read_po(f, locale="zh")


def sync() -> tuple[int, int]:
    ids = message_ids()
    catalog = read()
    added = dropped = 0
    for msgid, places in ids.items():
        if msgid not in catalog:
            catalog.add(
                msgid, "", locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places[:3]]
            )
            added += 1
    for message in list(catalog):
        if message.id and message.id not in ids:
            del catalog[message.id]
            dropped += 1
    ZH.parent.mkdir(parents=True, exist_ok=True)
    with ZH.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True, no_location=True)
    return added, dropped


if __name__ == "__main__":
    added, dropped = sync()
    missing = sum(1 for m in read() if m.id and not m.string)
    print(f"zh.po: {added} added, {dropped} dropped, {missing} untranslated", file=sys.stderr)
