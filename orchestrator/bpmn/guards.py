"""The sandbox's size limits, and the guards that enforce them while sandboxed code runs.

The rewritten code (see `sandbox`) sends every operation that can build a huge value (`+ * ** << %`,
f-strings, str.replace/join, list.extend) through these guards; the allow-listed builtins that could do the
same (range, round, str, sum, zip) are replaced by bounded versions. A guard refuses a result over the
limits with a `SandboxError` before it is built. Every message is translatable: analysts read them at deploy
time ("expression refused: …") and in incidents.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterable, Mapping, MappingView
from datetime import datetime, timedelta
from functools import partial
from types import NoneType
from typing import Any, cast

from orchestrator.core.i18n import Message, _

MAX_INT_BITS = 4096  # results of *, ** and << on integers (about 1,200 decimal digits)
MAX_LENGTH = 1_000_000  # items of a list or tuple, characters of a string, numbers in a range()
MAX_DATA_SIZE = 10_000_000  # characters of a value written out as text or task data
MAX_WIDTH = 1000  # widths and precisions in f-strings and % formatting, digits in round()
MAX_ZIP_ARGS = 8

Text = str | Message


class SandboxError(Exception):
    """Code the sandbox refuses to run, or a limit it hit while running; `lineno` is 1-based in the source."""

    def __init__(self, message: Text, lineno: int | None = None):
        # SpiffWorkflow adds args[0] to its own text when a script fails, so it holds the text as shown now;
        # `message` stays translatable for whoever shows it later (a deploy's problems).
        super().__init__(str(message))
        self.message = message
        self.lineno = lineno

    def __str__(self) -> str:
        return str(self.message)


_SEQUENCES = (str, bytes, list, tuple)
DATA_SCALARS = (NoneType, bool, int, float, str, datetime, timedelta)  # what Spiff's serializer stores
_DATA_KEYS = (NoneType, bool, int, float, str)  # what JSON object keys can be made from


def _count(n: int) -> str:
    return f"{n:,}"


def check_length(length: int, what: Text) -> None:
    if length > MAX_LENGTH:
        raise SandboxError(
            _(
                "{what} would make {length} characters or items; the limit is {limit}",
                what=what,
                length=_count(length),
                limit=_count(MAX_LENGTH),
            )
        )


def check_bits(bits: int, what: Text) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxError(
            _(
                "{what} would make a number of about {bits} bits; the limit is {limit}",
                what=what,
                bits=_count(bits),
                limit=_count(MAX_INT_BITS),
            )
        )


def check_width(number: str, what: Text) -> None:
    digits = number.lstrip("0")
    if number == "*" or len(digits) > 4 or int(digits or 0) > MAX_WIDTH:
        raise SandboxError(
            _("{what}: widths and precisions above {limit} are not allowed", what=what, limit=MAX_WIDTH)
        )


def check_size(value: Any, what: Text, *, data: bool) -> None:
    """Refuse a value that is huge once written out as text, or (data=True) that task data cannot hold.

    Shared references count each time they occur: `[s] * 1000` is cheap to build, but 1000 copies of `s`
    once rendered or serialized. The walk stops as soon as the budget is spent, so it is cheap too.
    """
    if type(value) in DATA_SCALARS:
        return
    budget = MAX_DATA_SIZE
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) or (isinstance(item, bytes) and not data):
            budget -= len(item) + 2
        elif isinstance(item, dict) or (isinstance(item, Mapping) and not data):
            if data and not all(isinstance(key, _DATA_KEYS) for key in item):
                raise SandboxError(_("{what} has a dict key task data cannot store (use strings)", what=what))
            budget -= len(item) + 2
            if budget >= 0:
                pending.extend(item.keys())
                pending.extend(item.values())
        elif isinstance(item, (list, tuple)) or (
            isinstance(item, (set, frozenset, MappingView)) and not data
        ):
            budget -= len(item) + 2
            if budget >= 0:
                pending.extend(cast(Iterable[Any], item))
        elif data and not isinstance(item, DATA_SCALARS):
            raise SandboxError(
                _("{what} holds a {type}, which task data cannot store", what=what, type=type(item).__name__)
            )
        else:
            budget -= item.bit_length() // 3 + 1 if isinstance(item, int) else 8
        if budget < 0:
            raise SandboxError(
                _(
                    "{what} is too large: over {limit} characters once written out",
                    what=what,
                    limit=_count(MAX_DATA_SIZE),
                )
            )


def _check_add(left: Any, right: Any) -> None:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        check_length(len(left) + len(right), "'+'")


def _check_mul(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        check_bits(left.bit_length() + right.bit_length(), "'*'")
    elif isinstance(left, _SEQUENCES) and isinstance(right, int):
        check_length(len(left) * right, "'*'")
    elif isinstance(left, int) and isinstance(right, _SEQUENCES):
        check_length(left * len(right), "'*'")


def _check_pow(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        check_bits((abs(base).bit_length() - 1) * exponent, "'**'")


def _check_lshift(value: Any, shift: Any) -> None:
    if isinstance(value, int) and isinstance(shift, int) and value and shift > 0:
        check_bits(value.bit_length() + shift, "'<<'")


_PERCENT_FIELD = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0 +]*(\*|[0-9]*)(?:\.(\*|[0-9]*))?)")


def _check_mod(left: Any, right: Any) -> None:
    if isinstance(left, (str, bytes)):
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        for width, precision in _PERCENT_FIELD.findall(text):
            check_width(width, _("'%' formatting"))
            check_width(precision, _("'%' formatting"))
        check_size(right, _("a value formatted with '%'"), data=False)


# Operators that can build huge values; the rewritten code calls `_sb_<name>` (and `_sb_i<name>` for `x op= y`).
GUARDED_OPERATORS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], None]]] = {
    ast.Add: ("add", _check_add),
    ast.Mult: ("mul", _check_mul),
    ast.Pow: ("pow", _check_pow),
    ast.LShift: ("lshift", _check_lshift),
    ast.Mod: ("mod", _check_mod),
}


def guarded(check: Callable[[Any, Any], None], apply: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def run(left: Any, right: Any) -> Any:
        check(left, right)
        return apply(left, right)

    return run


def operator_guards() -> dict[str, Callable[[Any, Any], Any]]:
    """`_sb_<name>` and `_sb_i<name>` (for `x op= y`) for each guarded operator."""
    found = {}
    for name, checker in GUARDED_OPERATORS.values():
        found[f"_sb_{name}"] = guarded(checker, getattr(operator, name))
        found[f"_sb_i{name}"] = guarded(checker, getattr(operator, f"i{name}"))
    return found


def _replace(text: str | bytes, old: Any, new: Any, count: int = -1) -> Any:
    found = text.count(old) if count < 0 else min(count, text.count(old))
    check_length(len(text) + found * (len(new) - len(old)), "replace()")
    return text.replace(old, new, count)


def _join(separator: str | bytes, items: Any) -> Any:
    items = list(items)
    texts = sum(len(item) for item in items if isinstance(item, (str, bytes)))
    check_length(texts + len(separator) * max(len(items) - 1, 0), "join()")
    return separator.join(items)


def _extend(target: list, items: Any) -> None:
    items = list(items)
    check_length(len(target) + len(items), "extend()")
    target.extend(items)


GUARDED_METHODS: dict[str, tuple[tuple[type, ...], Callable[..., Any]]] = {
    "replace": ((str, bytes), _replace),
    "join": ((str, bytes), _join),
    "extend": ((list,), _extend),
}


def method(obj: Any, name: str) -> Any:
    """`obj.<name>` for a method that can grow a value: the guarded version when obj is of a guarded type."""
    kinds, guard = GUARDED_METHODS[name]
    if obj in kinds:  # unbound, as in list.extend(target, items)
        return guard
    if isinstance(obj, kinds):
        return partial(guard, obj)
    return getattr(obj, name)


def setitem(obj: Any, key: Any, guard: Callable[[Any, Any], Any], value: Any) -> None:
    """`obj[key] op= value`, evaluating obj and key once."""
    obj[key] = guard(obj[key], value)


def formatted(value: Any) -> Any:
    """A value put into an f-string."""
    check_size(value, _("a value formatted in an f-string"), data=False)
    return value


# --- bounded builtins --------------------------------------------------------------------------------------


def safe_range(*args: int) -> range:
    numbers = range(*args)
    if numbers and (numbers[-1] - numbers[0]) // numbers.step >= MAX_LENGTH:
        raise SandboxError(_("range() of more than {limit} numbers is not allowed", limit=_count(MAX_LENGTH)))
    return numbers


def safe_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and not -MAX_WIDTH <= ndigits <= MAX_WIDTH:
        raise SandboxError(_("round() to more than {limit} digits is not allowed", limit=MAX_WIDTH))
    return round(number, ndigits)


def safe_str(value: Any = "", *args: str) -> str:
    if not args:
        check_size(value, _("the value given to str()"), data=False)
    return str(value, *args)


def safe_sum(values: Any, start: int | float = 0) -> Any:
    if not isinstance(start, (int, float)):
        raise SandboxError(_("sum() adds numbers only: join strings with ''.join(...) and lists with +"))
    return sum(values, start)


def safe_zip(*iterables: Any, strict: bool = False) -> zip:
    if len(iterables) > MAX_ZIP_ARGS:
        raise SandboxError(_("zip() of more than {limit} sequences is not allowed", limit=MAX_ZIP_ARGS))
    return zip(*iterables, strict=strict)
