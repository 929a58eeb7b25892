"""Our own UI strings. The UI is Chinese first, so message ids are Chinese; English lives in
`translations/en/*.po` (one file per part of the app), merged and compiled to the .mo that Flask-Babel
reads when the app starts (the .mo is built, not committed)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

FOLDER = Path(__file__).parent / "translations"


def compile_catalogs(folder: Path = FOLDER) -> None:
    for lang in (p for p in folder.iterdir() if p.is_dir()):
        sources = sorted(lang.glob("*.po"))
        mo = lang / "LC_MESSAGES" / "messages.mo"
        if not sources or (mo.exists() and mo.stat().st_mtime >= max(p.stat().st_mtime for p in sources)):
            continue
        merged = Catalog(locale=lang.name)
        for po in sources:
            with po.open("rb") as f:
                for message in read_po(f, locale=lang.name):
                    if message.id and message.string:
                        merged[message.id] = message
        mo.parent.mkdir(exist_ok=True)
        tmp = mo.with_suffix(".tmp")
        with tmp.open("wb") as f:
            write_mo(f, merged)
        tmp.replace(mo)
