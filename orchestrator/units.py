"""A deployable unit — a process folder, a single .bpmn or a .zip — read into memory, bounded, never extracted."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import InvalidInput, Problem

MAX_ZIP_ENTRIES = 200


@dataclass
class Unit:
    """The files of one deployment: diagrams, the optional catalog entry and the unit's own forms."""

    name: str
    bpmn: dict[str, bytes] = field(default_factory=dict)
    item_yaml: bytes | None = None
    forms: dict[str, bytes] = field(default_factory=dict)


def _too_big(name: str, size: int, max_bytes: int) -> Problem:
    return Problem(f"file is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:.0f} MB limit", file=name)


def read(path: str | Path, max_bytes: int) -> Unit:
    path = Path(path)
    if not path.exists():
        raise InvalidInput(Problem(f"no such file or folder: {path}", file=str(path)))
    if path.is_dir():
        return _read_folder(path, max_bytes)
    if path.suffix.lower() == ".bpmn":
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(_too_big(path.name, size, max_bytes))
        return Unit(name=path.stem, bpmn={path.name: path.read_bytes()})
    if path.suffix.lower() == ".zip":
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(_too_big(path.name, size, max_bytes))
        return read_zip(path.name, path.read_bytes(), max_bytes)
    raise InvalidInput(Problem("expected a process folder, a .bpmn file or a .zip", file=str(path)))


def _read_folder(folder: Path, max_bytes: int) -> Unit:
    unit = Unit(name=folder.name)
    problems = []
    files = sorted(folder.glob("*.bpmn")) + sorted(folder.glob("item.yaml"))
    forms_dir = folder / "forms"
    if forms_dir.is_dir():
        files += sorted(p for p in forms_dir.glob("*.json"))
    for p in files:
        size = p.stat().st_size
        rel = p.relative_to(folder).as_posix()
        if size > max_bytes:
            problems.append(_too_big(rel, size, max_bytes))
            continue
        _add(unit, rel, p.read_bytes())
    if problems:
        raise InvalidInput(problems)
    if not unit.bpmn:
        raise InvalidInput(Problem("the folder holds no .bpmn file", file=folder.name))
    return unit


def read_zip(name: str, data: bytes, max_bytes: int) -> Unit:
    """Read a zip upload; sizes are checked from the headers and again while reading (zip bombs)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidInput(Problem("not a valid zip archive", file=name)) from None
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_ENTRIES:
        raise InvalidInput(Problem(f"zip holds {len(infos)} files; at most {MAX_ZIP_ENTRIES}", file=name))
    unit = Unit(name=Path(name).stem)
    problems, total = [], 0
    for info in infos:
        parts = PurePosixPath(info.filename).parts
        if parts and len(parts) > 1 and parts[0] not in ("forms",):
            parts = parts[1:]  # a zip of the folder itself: strip the top folder
        rel = "/".join(parts)
        if not (
            rel.endswith(".bpmn")
            and "/" not in rel
            or rel == "item.yaml"
            or rel.startswith("forms/")
            and rel.endswith(".json")
            and rel.count("/") == 1
        ):
            continue
        if info.file_size > max_bytes:
            problems.append(_too_big(rel, info.file_size, max_bytes))
            continue
        with archive.open(info) as fh:
            content = fh.read(max_bytes + 1)
        if len(content) > max_bytes:
            problems.append(_too_big(rel, len(content), max_bytes))
            continue
        total += len(content)
        if total > 4 * max_bytes:
            problems.append(Problem("the archive expands beyond the size limit", file=name))
            break
        _add(unit, rel, content)
    if problems:
        raise InvalidInput(problems)
    if not unit.bpmn:
        raise InvalidInput(Problem("the archive holds no .bpmn file at its top level", file=name))
    return unit


def _add(unit: Unit, rel: str, content: bytes) -> None:
    if rel.endswith(".bpmn"):
        unit.bpmn[rel] = content
    elif rel == "item.yaml":
        unit.item_yaml = content
    else:
        unit.forms[rel.split("/", 1)[1]] = content
