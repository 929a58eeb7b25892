"""The sandbox for analyst-written Python: gateway conditions, timer expressions and script tasks.

SpiffWorkflow runs these with bare eval/exec, so whoever deploys a diagram could run anything on the
server. Here every source is

1. checked statically (`check`): no imports, no name, attribute or keyword starting with '_', no attribute
   that reaches frames, code or str.format, no builtins outside an allow-list, no `while`, no function or
   class definitions, no try/with; literal arithmetic that would build a huge value is reported;
2. rewritten so the operations that can build huge values (`+ * ** << %`, f-strings, str.replace/join,
   list.extend) go through guards that refuse results over the limits below;
3. run with only the allow-listed builtins and helpers, under a `sys.settrace` deadline, and whatever
   comes out (an expression's value, a script's variables) must be plain task data of bounded size.

Escapes are closed by (1) and the allow-list: nothing reachable leads to modules, files, frames or other
tasks' data. Resource limits (2, 3) are best effort: one builtin call runs in C between two trace events
(sorting a million strings, say) and can overrun the time limit; the worker's own time limit is the backstop.
"""

from __future__ import annotations

import ast
import builtins
import operator
import re
import sys
import time
from collections.abc import Callable, Mapping, MappingView
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache, partial
from types import CodeType, NoneType, TracebackType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import clock, deadlines

MAX_SOURCE_CHARS = 50_000
MAX_INT_BITS = 4096  # results of *, ** and << on integers (about 1,200 decimal digits)
MAX_LENGTH = 1_000_000  # items of a list or tuple, characters of a string, numbers in a range()
MAX_DATA_SIZE = 10_000_000  # characters of a value written out as text or task data
MAX_WIDTH = 1000  # widths and precisions in f-strings and % formatting, digits in round()
MAX_ZIP_ARGS = 8

# Filename of compiled sandbox code: what the time limit recognizes, and where SpiffWorkflow looks for the
# line of a script error.
_FILENAME = "<string>"
_CHINA = timezone(timedelta(hours=8))  # no daylight saving since 1991

# str.format reaches any attribute by name ("{0.__class__}"); the padders and translate build huge strings
# from small inputs, as does int.to_bytes; mro lists classes.
DENIED_ATTRIBUTES = frozenset(
    {
        "format",
        "format_map",
        "ljust",
        "rjust",
        "center",
        "zfill",
        "expandtabs",
        "translate",
        "maketrans",
        "to_bytes",
        "mro",
    }
)
# Frames, code objects and globals of generators, coroutines, tracebacks and functions (gi_frame, f_globals...)
DENIED_ATTRIBUTE_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_", "func_")

_REFUSED_NODES = {
    ast.Import: "'import' is not allowed",
    ast.ImportFrom: "'import' is not allowed",
    ast.While: "'while' loops are not allowed (they may never end): loop with 'for' over a list or a range()",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.FunctionDef: "function definitions are not allowed",
    ast.AsyncFunctionDef: "function definitions are not allowed",
    ast.Lambda: "'lambda' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.AsyncFor: "async code is not allowed",
    ast.AsyncWith: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.With: "'with' is not allowed",
    ast.Try: "'try' is not allowed",
    ast.TryStar: "'try' is not allowed",
    ast.Match: "'match' is not allowed",
    ast.AnnAssign: "type annotations are not allowed",
}


class SandboxError(Exception):
    """Code the sandbox refuses to run, or a limit it hit while running; `lineno` is 1-based in the source."""

    def __init__(self, message: str, lineno: int | None = None):
        super().__init__(message)
        self.message = message
        self.lineno = lineno


# --- limits ------------------------------------------------------------------------------------------------

_SEQUENCES = (str, bytes, list, tuple)
_DATA_SCALARS = (NoneType, bool, int, float, str, datetime, timedelta)  # what Spiff's serializer stores
_DATA_KEYS = (NoneType, bool, int, float, str)  # what JSON object keys can be made from


def _check_length(length: int, what: str) -> None:
    if length > MAX_LENGTH:
        raise SandboxError(f"{what} would make {length:,} characters or items; the limit is {MAX_LENGTH:,}")


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxError(
            f"{what} would make a number of about {bits:,} bits; the limit is {MAX_INT_BITS:,}"
        )


def _check_width(number: str, what: str) -> None:
    digits = number.lstrip("0")
    if number == "*" or len(digits) > 4 or int(digits or 0) > MAX_WIDTH:
        raise SandboxError(f"{what}: widths and precisions above {MAX_WIDTH} are not allowed")


def _check_size(value: Any, what: str, *, data: bool) -> None:
    """Refuse a value that is huge once written out as text, or (data=True) that task data cannot hold.

    Shared references count each time they occur: `[s] * 1000` is cheap to build, but 1000 copies of `s`
    once rendered or serialized. The walk stops as soon as the budget is spent, so it is cheap too.
    """
    if type(value) in _DATA_SCALARS:
        return
    budget = MAX_DATA_SIZE
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) or (isinstance(item, bytes) and not data):
            budget -= len(item) + 2
        elif isinstance(item, dict) or (isinstance(item, Mapping) and not data):
            if data and not all(isinstance(key, _DATA_KEYS) for key in item):
                raise SandboxError(f"{what} has a dict key task data cannot store (use strings)")
            budget -= len(item) + 2
            if budget >= 0:
                pending += item.keys()
                pending += item.values()
        elif isinstance(item, (list, tuple)) or (
            isinstance(item, (set, frozenset, MappingView)) and not data
        ):
            budget -= len(item) + 2
            if budget >= 0:
                pending += item
        elif data and not isinstance(item, _DATA_SCALARS):
            raise SandboxError(f"{what} holds a {type(item).__name__}, which task data cannot store")
        else:
            budget -= item.bit_length() // 3 + 1 if isinstance(item, int) else 8
        if budget < 0:
            raise SandboxError(f"{what} is too large: over {MAX_DATA_SIZE:,} characters once written out")


def _check_add(left: Any, right: Any) -> None:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _check_length(len(left) + len(right), "'+'")


def _check_mul(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        _check_bits(left.bit_length() + right.bit_length(), "'*'")
    elif isinstance(left, _SEQUENCES) and isinstance(right, int):
        _check_length(len(left) * right, "'*'")
    elif isinstance(left, int) and isinstance(right, _SEQUENCES):
        _check_length(left * len(right), "'*'")


def _check_pow(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        _check_bits((abs(base).bit_length() - 1) * exponent, "'**'")


def _check_lshift(value: Any, shift: Any) -> None:
    if isinstance(value, int) and isinstance(shift, int) and value and shift > 0:
        _check_bits(value.bit_length() + shift, "'<<'")


_PERCENT_FIELD = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0 +]*(\*|[0-9]*)(?:\.(\*|[0-9]*))?)")


def _check_mod(left: Any, right: Any) -> None:
    if isinstance(left, (str, bytes)):
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        for width, precision in _PERCENT_FIELD.findall(text):
            _check_width(width, "'%' formatting")
            _check_width(precision, "'%' formatting")
        _check_size(right, "a value formatted with '%'", data=False)


# Operators that can build huge values; the rewritten code calls `_sb_<name>` (and `_sb_i<name>` for `x op= y`).
_GUARDED_OPERATORS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], None]]] = {
    ast.Add: ("add", _check_add),
    ast.Mult: ("mul", _check_mul),
    ast.Pow: ("pow", _check_pow),
    ast.LShift: ("lshift", _check_lshift),
    ast.Mod: ("mod", _check_mod),
}


def _guarded(
    check: Callable[[Any, Any], None], apply: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    def guarded(left: Any, right: Any) -> Any:
        check(left, right)
        return apply(left, right)

    return guarded


def _replace(text: str | bytes, old: Any, new: Any, count: int = -1) -> Any:
    found = text.count(old) if count < 0 else min(count, text.count(old))
    _check_length(len(text) + found * (len(new) - len(old)), "replace()")
    return text.replace(old, new, count)


def _join(separator: str | bytes, items: Any) -> Any:
    items = list(items)
    texts = sum(len(item) for item in items if isinstance(item, (str, bytes)))
    _check_length(texts + len(separator) * max(len(items) - 1, 0), "join()")
    return separator.join(items)


def _extend(target: list, items: Any) -> None:
    items = list(items)
    _check_length(len(target) + len(items), "extend()")
    target.extend(items)


_GUARDED_METHODS: dict[str, tuple[tuple[type, ...], Callable[..., Any]]] = {
    "replace": ((str, bytes), _replace),
    "join": ((str, bytes), _join),
    "extend": ((list,), _extend),
}


def _method(obj: Any, name: str) -> Any:
    """`obj.<name>` for a method that can grow a value: the guarded version when obj is of a guarded type."""
    kinds, guard = _GUARDED_METHODS[name]
    if obj in kinds:  # unbound, as in list.extend(target, items)
        return guard
    if isinstance(obj, kinds):
        return partial(guard, obj)
    return getattr(obj, name)


def _setitem(obj: Any, key: Any, guard: Callable[[Any, Any], Any], value: Any) -> None:
    """`obj[key] op= value`, evaluating obj and key once."""
    obj[key] = guard(obj[key], value)


def _text(value: Any) -> Any:
    _check_size(value, "a value formatted in an f-string", data=False)
    return value


# --- builtins and helpers ----------------------------------------------------------------------------------


def _range(*args: int) -> range:
    numbers = range(*args)
    if numbers and (numbers[-1] - numbers[0]) // numbers.step >= MAX_LENGTH:
        raise SandboxError(f"range() of more than {MAX_LENGTH:,} numbers is not allowed")
    return numbers


def _round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and not -MAX_WIDTH <= ndigits <= MAX_WIDTH:
        raise SandboxError(f"round() to more than {MAX_WIDTH} digits is not allowed")
    return round(number, ndigits)


def _str(value: Any = "", *args: str) -> str:
    if not args:
        _check_size(value, "the value given to str()", data=False)
    return str(value, *args)


def _sum(values: Any, start: int | float = 0) -> Any:
    if not isinstance(start, (int, float)):
        raise SandboxError("sum() adds numbers only: join strings with ''.join(...) and lists with +")
    return sum(values, start)


def _zip(*iterables: Any, strict: bool = False) -> zip:
    if len(iterables) > MAX_ZIP_ARGS:
        raise SandboxError(f"zip() of more than {MAX_ZIP_ARGS} sequences is not allowed")
    return zip(*iterables, strict=strict)


def _as_date(value: date | str) -> date:
    """A date from a date, a datetime (in China time when it has a zone) or an ISO string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return (value.astimezone(_CHINA) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or an ISO date string like '2024-05-06', not {type(value).__name__}")


def _local_now() -> datetime:
    return clock.now().replace(tzinfo=UTC).astimezone(_CHINA)


def _today() -> str:
    """Today in China, as '2024-05-06'."""
    return _local_now().date().isoformat()


def _now() -> str:
    """Now in China, as '2024-05-06T14:30:00+08:00' (what timer expressions take)."""
    return _local_now().isoformat(timespec="seconds")


def _days_between(start: date | str, end: date | str) -> int:
    """Calendar days from start to end (negative when end is earlier)."""
    return (_as_date(end) - _as_date(start)).days


def _add_days(start: date | str, days: int) -> str:
    return (_as_date(start) + timedelta(days=days)).isoformat()


def _add_working_days(start: date | str, n: int) -> str:
    return deadlines.add_working_days(_as_date(start), n).isoformat()


def _working_days_between(start: date | str, end: date | str) -> int:
    return deadlines.working_days_between(_as_date(start), _as_date(end))


def _is_working_day(day: date | str) -> bool:
    return deadlines.is_working_day(_as_date(day))


# Dates stay ISO strings in task data (JSON, form fields and timers all take them); parse_date gives a date
# object for .year, .month, .weekday().
_BUILTINS: dict[str, Any] = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "enumerate": enumerate,
    "float": float,
    "int": int,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "range": _range,
    "reversed": reversed,
    "round": _round,
    "set": set,
    "sorted": sorted,
    "str": _str,
    "sum": _sum,
    "tuple": tuple,
    "zip": _zip,
    "today": _today,
    "now": _now,
    "parse_date": _as_date,
    "days_between": _days_between,
    "add_days": _add_days,
    "add_working_days": _add_working_days,
    "working_days_between": _working_days_between,
    "is_working_day": _is_working_day,
}
SAFE_NAMES: frozenset[str] = frozenset(_BUILTINS)
# Python builtins left out: calling one is refused up front rather than failing with a NameError when run.
_UNAVAILABLE = frozenset(name for name in dir(builtins) if not name.startswith("_")) - SAFE_NAMES

# What sandboxed code runs with, on top of the task data. Its own names cannot start with '_', so it can
# neither call nor replace these.
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_sb_method": _method,
    "_sb_setitem": _setitem,
    "_sb_text": _text,
    **{
        f"_sb_{name}": _guarded(checker, getattr(operator, name))
        for name, checker in _GUARDED_OPERATORS.values()
    },
    **{
        f"_sb_i{name}": _guarded(checker, getattr(operator, f"i{name}"))
        for name, checker in _GUARDED_OPERATORS.values()
    },
}


# --- static check ------------------------------------------------------------------------------------------


def check(source: str, mode: str = "eval") -> list[SandboxError]:
    """Every reason to refuse `source` ("eval": an expression, "exec": a script); empty when it may run."""
    return _analyse(source, mode)[1]


def _analyse(source: str, mode: str) -> tuple[CodeType | None, list[SandboxError]]:
    """Parse, check, rewrite and compile: the code to run, or every reason to refuse it."""
    if len(source) > MAX_SOURCE_CHARS:
        return None, [
            SandboxError(f"the code is {len(source):,} characters long; the limit is {MAX_SOURCE_CHARS:,}")
        ]
    if mode == "eval":
        source = source.lstrip(" \t")  # as eval() does
    try:
        tree = ast.parse(source, _FILENAME, mode)
        problems = _problems(tree)
        if problems:
            return None, problems
        return compile(ast.fix_missing_locations(_Guard().visit(tree)), _FILENAME, mode), []
    except SyntaxError as err:  # from the parser, or the compiler ('return' outside function...)
        return None, [SandboxError(f"syntax error: {err.msg}", err.lineno)]
    except (RecursionError, MemoryError):  # the parser's, the compiler's or our own recursion
        return None, [SandboxError("the code is nested too deeply")]


def _problems(tree: ast.AST) -> list[SandboxError]:
    found: list[tuple[ast.AST, str]] = []
    folded: set[int] = set()
    for node in ast.walk(tree):
        message = _refusal(node)
        if message:
            found.append((node, message))
        if isinstance(node, ast.BinOp) and id(node) not in folded:
            _fold(node, found, folded)
    found.sort(key=lambda item: (getattr(item[0], "lineno", 0), getattr(item[0], "col_offset", 0)))
    return [SandboxError(message, getattr(node, "lineno", None)) for node, message in found]


def _refusal(node: ast.AST) -> str | None:
    if type(node) in _REFUSED_NODES:
        return _REFUSED_NODES[type(node)]
    if isinstance(node, ast.Name):
        return _refused_name(node.id)
    if isinstance(node, ast.keyword) and node.arg:
        return _refused_name(node.arg)
    if isinstance(node, ast.Attribute):
        if not isinstance(node.ctx, ast.Load):
            return "assigning or deleting attributes is not allowed"
        if node.attr.startswith("_"):
            return f"attribute '{node.attr}' is not allowed: attributes starting with '_' are private"
        if node.attr in DENIED_ATTRIBUTES or node.attr.startswith(DENIED_ATTRIBUTE_PREFIXES):
            return f"attribute '{node.attr}' is not allowed"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _UNAVAILABLE:
        return f"{node.func.id}() is not available in the sandbox"
    if isinstance(node, ast.comprehension) and node.is_async:
        return "async code is not allowed"
    if isinstance(node, (ast.List, ast.Tuple)) and isinstance(node.ctx, ast.Load):
        if any(isinstance(item, ast.Starred) for item in node.elts):
            return "unpacking with * into a list or tuple is not allowed: join sequences with +"
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
        if isinstance(node.target.slice, ast.Slice):
            return "augmented assignment to a slice is not allowed"
    if isinstance(node, ast.FormattedValue) and node.format_spec:
        return _refused_format_spec(node.format_spec)
    return None


def _refused_name(name: str) -> str | None:
    if name.startswith("_"):
        return f"name '{name}' is not allowed: names starting with '_' are reserved"
    return None


def _refused_format_spec(spec: ast.expr) -> str | None:
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    if not all(isinstance(part, ast.Constant) for part in parts):
        return "computed format specifications in f-strings are not allowed"
    try:
        for number in re.findall(r"[0-9]+", "".join(str(part.value) for part in parts)):
            _check_width(number, "f-string format")
    except SandboxError as err:
        return err.message
    return None


_UNKNOWN = object()


def _fold(node: ast.expr, found: list[tuple[ast.AST, str]], folded: set[int]) -> Any:
    """The value of a literal expression, or _UNKNOWN; an operation over the limits is reported, not run."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _fold(node.operand, found, folded)
        return -value if isinstance(value, (int, float, complex)) else _UNKNOWN
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_fold(item, found, folded) for item in node.elts]
        if any(item is _UNKNOWN for item in items):
            return _UNKNOWN
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.BinOp) and type(node.op) in _GUARDED_OPERATORS:
        folded.add(id(node))
        left, right = _fold(node.left, found, folded), _fold(node.right, found, folded)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        try:
            return _GUARDS[f"_sb_{_GUARDED_OPERATORS[type(node.op)][0]}"](left, right)
        except SandboxError as err:
            found.append((node, err.message))
        except Exception:  # noqa: BLE001 - 1 % 0 and the like fail at run time, as they would anyway
            pass
    return _UNKNOWN


# --- rewrite and compile -----------------------------------------------------------------------------------


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


class _Guard(ast.NodeTransformer):
    """Route the operations that can build huge values through the runtime guards in _GUARDS."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if type(node.op) not in _GUARDED_OPERATORS:
            return node
        name = _GUARDED_OPERATORS[type(node.op)][0]
        return ast.copy_location(_call(f"_sb_{name}", node.left, node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt:
        self.generic_visit(node)
        if type(node.op) not in _GUARDED_OPERATORS:
            return node
        guard = ast.Name(f"_sb_i{_GUARDED_OPERATORS[type(node.op)][0]}", ast.Load())
        target = node.target
        if isinstance(target, ast.Name):
            value = ast.Call(guard, [ast.Name(target.id, ast.Load()), node.value], [])
            return ast.copy_location(ast.Assign([target], value), node)
        # A subscript: check() refuses attribute and slice targets.
        return ast.copy_location(
            ast.Expr(_call("_sb_setitem", target.value, target.slice, guard, node.value)), node
        )

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        self.generic_visit(node)
        if node.attr not in _GUARDED_METHODS:
            return node
        return ast.copy_location(_call("_sb_method", node.value, ast.Constant(node.attr)), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.FormattedValue:
        self.generic_visit(node)
        node.value = ast.copy_location(_call("_sb_text", node.value), node.value)
        return node


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CodeType:
    """Checked and compiled once per source: evaluation runs on every engine step."""
    code, problems = _analyse(source, mode)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        messages = "; ".join(f"line {p.lineno}: {p.message}" if p.lineno else p.message for p in problems)
        raise SandboxError(messages, problems[0].lineno)
    return code


# --- run ---------------------------------------------------------------------------------------------------


def _run(code: CodeType, namespace: dict[str, Any], time_limit: float) -> Any:
    """eval() under a deadline checked on every line and call of sandboxed code."""
    deadline = time.monotonic() + time_limit

    def trace(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != _FILENAME:
            return None
        if time.monotonic() > deadline:
            raise SandboxError(f"time limit of {time_limit:g} s exceeded", frame.f_lineno)
        return trace

    previous = sys.gettrace()  # a debugger's or coverage's
    sys.settrace(trace)
    try:
        return eval(code, namespace)
    except SandboxError as err:
        err.lineno = err.lineno or _sandbox_line(err.__traceback__)
        raise
    finally:
        sys.settrace(previous)


def _sandbox_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def evaluate(expression: str, context: Mapping[str, Any], *, time_limit: float = 1.0) -> Any:
    """The value of `expression` with the task data in `context` as variables; it must be task data too."""
    result = _run(_compile(expression, "eval"), {**context, **_GUARDS}, time_limit)
    _check_size(result, "the expression's value", data=True)
    return result


def execute(script: str, context: dict[str, Any], *, time_limit: float = 1.0) -> None:
    """Run `script` on the task data in `context`, as exec() would; the variables it sets or deletes are
    written back only if it completes, and only as task data (functions are dropped, like Spiff does)."""
    _execute(script, context, {}, time_limit)


def _execute(script: str, context: dict[str, Any], hidden: Mapping[str, Any], time_limit: float) -> None:
    """execute(), with `hidden` variables readable by the script but never written back."""
    namespace = {**hidden, **context, **_GUARDS}
    _run(_compile(script, "exec"), namespace, time_limit)
    changed = {
        name: value
        for name, value in namespace.items()
        if name not in _GUARDS
        and name not in hidden
        and not callable(value)
        and (name not in context or context[name] is not value)
    }
    for name, value in changed.items():
        _check_size(value, f"variable '{name}'", data=True)
    for name in context.keys() - namespace.keys():
        del context[name]
    context.update(changed)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's TaskDataEnvironment, with every expression and script run through the sandbox."""

    def __init__(self, time_limit: float = 1.0):
        super().__init__()
        self.time_limit = time_limit

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        if external_context:  # data objects: readable, task data wins on a clash
            context = {**external_context, **context}
        return evaluate(expression, context, time_limit=self.time_limit)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        external = external_context or {}
        clashes = sorted(context.keys() & external.keys())
        if clashes:  # as TaskDataEnvironment.check_for_overwrite
            raise ValueError(f"task data overwrites data objects; rename these variables: {clashes}")
        _execute(script, context, external, self.time_limit)
        return True


_ENGINE = PythonScriptEngine(environment=SandboxEnvironment())


def script_engine() -> PythonScriptEngine:
    """The script engine to hand every BpmnWorkflow: one for the process, it keeps no state."""
    return _ENGINE
