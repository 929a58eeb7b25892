"""A deployable unit — a process folder, a single .bpmn or a .zip — read into memory, bounded, never extracted."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _

MAX_ZIP_ENTRIES = 200
SPIFFARENA_MODEL = "process_model.json"


@dataclass
class Unit:
    """The files of one deployment: diagrams (BPMN, and DMN decision tables), the optional catalog entry,
    the unit's own forms and its process tests."""

    name: str
    bpmn: dict[str, bytes] = field(default_factory=dict)
    item_yaml: bytes | None = None
    forms: dict[str, bytes] = field(default_factory=dict)
    dmn: dict[str, bytes] = field(default_factory=dict)
    tests: dict[str, bytes] = field(default_factory=dict)
    model: bytes | None = None  # SpiffArena's process_model.json, when the unit came from SpiffArena


def too_big(name: str, size: int, max_bytes: int) -> Problem:
    message = _(
        "file is {size} MB, over the {limit} MB limit",
        size=f"{size / 1048576:.1f}",
        limit=f"{max_bytes / 1048576:.0f}",
    )
    return Problem(message, file=name)


def read(path: str | Path, max_bytes: int) -> Unit:
    path = Path(path)
    if not path.exists():
        raise InvalidInput(Problem(_("no such file or folder: {path}", path=str(path)), file=str(path)))
    if path.is_dir():
        return _read_folder(path, max_bytes)
    if path.suffix.lower() == ".bpmn":
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(too_big(path.name, size, max_bytes))
        return Unit(name=path.stem, bpmn={path.name: path.read_bytes()})
    if path.suffix.lower() == ".zip":
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(too_big(path.name, size, max_bytes))
        return read_zip(path.name, path.read_bytes(), max_bytes)
    raise InvalidInput(Problem(_("expected a process folder, a .bpmn file or a .zip"), file=str(path)))


def _read_folder(folder: Path, max_bytes: int) -> Unit:
    unit = Unit(name=folder.name)
    problems = []
    files = sorted(folder.glob("*.bpmn")) + sorted(folder.glob("*.dmn")) + sorted(folder.glob("item.yaml"))
    files += sorted(folder.glob("*.json"))  # SpiffArena: forms and process_model.json beside the diagram
    files += sorted(folder.glob("*.form"))  # Camunda 8: form-js forms beside the diagram
    for sub in ("forms", "tests"):
        if (folder / sub).is_dir():
            files += sorted(p for p in (folder / sub).glob("*") if is_unit_file(f"{sub}/{p.name}"))
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and not is_unit_file(rel) and p.suffix.lower() in (".bpmn", ".dmn"):
            problems.append(_stray(rel))
    for p in files:
        size = p.stat().st_size
        rel = p.relative_to(folder).as_posix()
        if size > max_bytes:
            problems.append(too_big(rel, size, max_bytes))
            continue
        add(unit, rel, p.read_bytes())
    if problems:
        raise InvalidInput(problems)
    if not unit.bpmn:
        raise InvalidInput(Problem(_("the folder holds no .bpmn file"), file=folder.name))
    return unit


def read_zip(name: str, data: bytes, max_bytes: int) -> Unit:
    """Read a zip upload; sizes are checked from the headers and again while reading (zip bombs)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidInput(Problem(_("not a valid zip archive"), file=name)) from None
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_ENTRIES:
        raise InvalidInput(
            Problem(
                _("zip holds {count} files; at most {limit}", count=len(infos), limit=MAX_ZIP_ENTRIES),
                file=name,
            )
        )
    unit = Unit(name=Path(name).stem)
    problems, total = [], 0
    for info in infos:
        parts = PurePosixPath(info.filename).parts
        if parts and len(parts) > 1 and parts[0] not in ("forms", "tests"):
            parts = parts[1:]  # a zip of the folder itself: strip the top folder
        rel = "/".join(parts)
        if not is_unit_file(rel):
            if rel.lower().endswith((".bpmn", ".dmn")):
                problems.append(_stray(rel))  # never dropped without a word
            continue
        if info.file_size > max_bytes:
            problems.append(too_big(rel, info.file_size, max_bytes))
            continue
        with archive.open(info) as fh:
            content = fh.read(max_bytes + 1)
        if len(content) > max_bytes:
            problems.append(too_big(rel, len(content), max_bytes))
            continue
        total += len(content)
        if total > 4 * max_bytes:
            problems.append(Problem(_("the archive expands beyond the size limit"), file=name))
            break
        add(unit, rel, content)
    if problems:
        raise InvalidInput(problems)
    if not unit.bpmn:
        raise InvalidInput(Problem(_("the archive holds no .bpmn file at its top level"), file=name))
    return unit


def _stray(rel: str) -> Problem:
    return Problem(
        _(
            "'{path}' is not read where it is: a unit's diagrams and decision tables lie beside each other",
            path=rel,
        ),
        file=rel,
    )


def is_unit_file(rel: str) -> bool:
    """Whether a path inside a unit is one of its files: x.bpmn, x.dmn, item.yaml, forms/x.json, tests/x.json,
    SpiffArena's layout: x.json forms (JSON Schema, uiSchema) beside the diagram (its process_model.json is
    read by the import), and Camunda 8's x.form files (form-js), which the import translates."""
    if "/" not in rel:
        return rel.endswith((".bpmn", ".dmn", ".json", ".form")) or rel == "item.yaml"
    folder, _sep, name = rel.partition("/")
    if folder == "forms" and name.endswith(".form") and "/" not in name:
        return True
    return folder in ("forms", "tests") and name.endswith(".json") and "/" not in name


def add(unit: Unit, rel: str, content: bytes) -> None:
    """Put a file in the unit, by its path (see `is_unit_file`)."""
    if rel.endswith(".bpmn"):
        unit.bpmn[rel] = content
    elif rel.endswith(".dmn"):
        unit.dmn[rel] = content
    elif rel == "item.yaml":
        unit.item_yaml = content
    elif rel == SPIFFARENA_MODEL:
        unit.model = content
    elif rel.startswith("tests/"):
        unit.tests[rel.split("/", 1)[1]] = content
    else:
        unit.forms[rel.split("/", 1)[-1]] = content
