"""The limits at the borders, in one place: what data a case or a step may carry, and how JSON is read.

Data that crosses a border (a case's start data, a step's form data, a message's payload) is plain JSON of
bounded size: at most MAX_DATA_BYTES written out, MAX_STRING characters a string, MAX_DEPTH levels deep,
MAX_KEYS keys an object, valid Unicode (a lone surrogate can never be written to a document or a page), and
finite numbers (NaN and Infinity are not JSON). `check` lists every problem, naming its field; nothing that
fails is stored. `read_json` parses text with the same rules and never raises anything but InvalidInput.
"""

from __future__ import annotations

import json
import math
from typing import Any

from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _

MAX_DATA_BYTES = 256 * 1024  # a submission, written out as JSON
MAX_STRING = 64 * 1024  # characters of one string
MAX_DEPTH = 32  # objects and lists inside one another
MAX_KEYS = 1000  # keys of one object, items of one list
MAX_TEXT_BYTES = 4 * MAX_DATA_BYTES  # JSON text read from a request or a file


def check(value: Any, field: str = "data") -> list[Problem]:
    """Every problem of `value` as the data of a case or a step (empty: it may be stored)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack and len(problems) < 20:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(
                Problem(
                    _("{field} is nested more than {limit} levels deep", field=where, limit=MAX_DEPTH),
                    field=where,
                )
            )
            continue
        if isinstance(item, str):
            problems += _text(item, where)
        elif isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                problems.append(
                    Problem(
                        _("{field}: {value} is not a number JSON can hold", field=where, value=str(item)),
                        field=where,
                    )
                )
        elif isinstance(item, dict):
            if len(item) > MAX_KEYS:
                problems.append(
                    Problem(
                        _(
                            "{field} has {count} keys; at most {limit}",
                            field=where,
                            count=len(item),
                            limit=MAX_KEYS,
                        ),
                        field=where,
                    )
                )
                continue
            for key, child in item.items():
                if not isinstance(key, str):
                    problems.append(
                        Problem(_("{field} has a key that is not text", field=where), field=where)
                    )
                    continue
                problems += _text(key, where)
                stack.append((child, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, list | tuple):
            if len(item) > MAX_KEYS:
                problems.append(
                    Problem(
                        _(
                            "{field} has {count} items; at most {limit}",
                            field=where,
                            count=len(item),
                            limit=MAX_KEYS,
                        ),
                        field=where,
                    )
                )
                continue
            stack += [(child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item)]
        else:
            problems.append(
                Problem(
                    _("{field} holds a {type}, which is not JSON", field=where, type=type(item).__name__),
                    field=where,
                )
            )
    if not problems:
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
        if size > MAX_DATA_BYTES:
            problems.append(
                Problem(
                    _(
                        "{field} is {size} KB; at most {limit} KB",
                        field=field,
                        size=size // 1024,
                        limit=MAX_DATA_BYTES // 1024,
                    ),
                    field=field,
                )
            )
    return problems


def require(value: Any, field: str = "data") -> None:
    problems = check(value, field)
    if problems:
        raise InvalidInput(problems)


def read_json(text: str | bytes, field: str = "data") -> Any:
    """JSON text as Python data, under the limits (too deep, too large, not UTF-8, NaN: InvalidInput)."""
    if len(text) > MAX_TEXT_BYTES:
        raise InvalidInput(
            Problem(
                _("{field} is larger than {limit} KB", field=field, limit=MAX_TEXT_BYTES // 1024), field=field
            )
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(Problem(_("{field} is not UTF-8 text", field=field), field=field)) from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInput(
            Problem(
                _("{field} is nested more than {limit} levels deep", field=field, limit=MAX_DEPTH),
                field=field,
            )
        ) from None
    except ValueError as exc:
        raise InvalidInput(
            Problem(_("{field} is not valid JSON: {detail}", field=field, detail=str(exc)), field=field)
        ) from None
    require(value, field)
    return value


def clean_text(value: str) -> str:
    """Text with what cannot be printed taken out (lone surrogates, control characters but tab and newline)."""
    return "".join(
        c
        for c in value
        if not (0xD800 <= ord(c) <= 0xDFFF) and (c in "\t\n" or ord(c) >= 0x20) and c != "\x7f"
    )


def _text(value: str, where: str) -> list[Problem]:
    if len(value) > MAX_STRING:
        return [
            Problem(
                _(
                    "{field} has {count} characters; at most {limit}",
                    field=where,
                    count=len(value),
                    limit=MAX_STRING,
                ),
                field=where,
            )
        ]
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return [Problem(_("{field} is not valid Unicode text (a lone surrogate)", field=where), field=where)]
    return []


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
