"""Our own UI strings. The UI is Chinese first, so message ids are Chinese; English lives in
`translations/en/*.po` (one file per part of the app), merged and compiled to the .mo that Flask-Babel
reads when the app starts (the .mo is built, not committed)."""

from __future__ import annotations

import os
import tempfile
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
        # Several processes (test workers, gunicorn workers) may start at once: each writes its own
        # temporary file and renames it into place, so none sees a half-written or vanished file.
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix="messages.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, merged)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
