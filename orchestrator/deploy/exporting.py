"""A stored version as a zip others' tools open, in the layout `deploy` and `import` read back:
`x.bpmn` (plain BPMN 2.0 with its DI and every extension element as stored), `x.dmn`, `forms/x.json`,
`tests/x.json` and `item.yaml`, under one top folder."""

from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy.orm import Session

from orchestrator.deploy import definitions

_UNSAFE = re.compile(r"[^\w.\-]+")


def export(session: Session, key: str, version: int) -> tuple[str, bytes]:
    """(file name, zip bytes) of version `version` of `key`."""
    unit = definitions.unit_of(definitions.get(session, key, version))
    top = f"{_UNSAFE.sub('_', key)[:100]}-v{version}"
    entries = {**unit.bpmn, **unit.dmn}
    entries.update({f"forms/{n}": data for n, data in unit.forms.items()})
    entries.update({f"tests/{n}": data for n, data in unit.tests.items()})
    if unit.item_yaml is not None:
        entries["item.yaml"] = unit.item_yaml
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries.items()):
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return f"{top}.zip", buffer.getvalue()
