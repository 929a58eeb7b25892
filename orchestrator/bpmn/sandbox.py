"""The sandbox for analyst-written Python: gateway conditions, timer expressions and script tasks.

SpiffWorkflow runs these with bare eval/exec, so whoever deploys a diagram could run anything on the
server. Here every source is

1. checked statically (`check`): no imports, no name, attribute or keyword starting with '_', no attribute
   that reaches frames, code or str.format, no builtins outside an allow-list, no `while`, no function or
   class definitions, no try/with; literal arithmetic that would build a huge value is reported;
2. rewritten so the operations that can build huge values (`+ * ** << %`, f-strings, str.replace/join,
   list.extend) go through guards that refuse results over the limits (both in `guards`);
3. run with only the allow-listed builtins and helpers, under a `sys.settrace` deadline, and whatever
   comes out (an expression's value, a script's variables) must be plain task data of bounded size.

Escapes are closed by (1) and the allow-list: nothing reachable leads to modules, files, frames or other
tasks' data. Resource limits (2, 3) are best effort: one builtin call runs in C between two trace events
(sorting a million strings, say) and can overrun the time limit; the worker's own time limit is the backstop.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from types import CodeType, TracebackType
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from orchestrator.bpmn import services
from orchestrator.bpmn.guards import (
    GUARDED_METHODS,
    GUARDED_OPERATORS,
    MAX_DATA_SIZE,
    MAX_INT_BITS,
    MAX_LENGTH,
    MAX_WIDTH,
    MAX_ZIP_ARGS,
    SandboxError,
    check_size,
    check_width,
    formatted,
    method,
    operator_guards,
    safe_range,
    safe_round,
    safe_str,
    safe_sum,
    safe_zip,
    setitem,
)
from orchestrator.core import clock, workdays
from orchestrator.core.i18n import Listing, Message, _

__all__ = [
    "MAX_DATA_SIZE",
    "MAX_INT_BITS",
    "MAX_LENGTH",
    "MAX_SOURCE_CHARS",
    "MAX_WIDTH",
    "MAX_ZIP_ARGS",
    "SAFE_NAMES",
    "SandboxEnvironment",
    "SandboxError",
    "check",
    "evaluate",
    "execute",
    "script_engine",
]

MAX_SOURCE_CHARS = 50_000

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

_NO_IMPORT = _("'import' is not allowed")
_NO_FUNCTIONS = _("function definitions are not allowed")
_NO_YIELD = _("'yield' is not allowed")
_NO_ASYNC = _("async code is not allowed")
_NO_TRY = _("'try' is not allowed")
_REFUSED_NODES: dict[type[ast.AST], Message] = {
    ast.Import: _NO_IMPORT,
    ast.ImportFrom: _NO_IMPORT,
    ast.While: _(
        "'while' loops are not allowed (they may never end): loop with 'for' over a list or a range()"
    ),
    ast.Global: _("'global' is not allowed"),
    ast.Nonlocal: _("'nonlocal' is not allowed"),
    ast.ClassDef: _("class definitions are not allowed"),
    ast.FunctionDef: _NO_FUNCTIONS,
    ast.AsyncFunctionDef: _NO_FUNCTIONS,
    ast.Lambda: _("'lambda' is not allowed"),
    ast.Yield: _NO_YIELD,
    ast.YieldFrom: _NO_YIELD,
    ast.AsyncFor: _NO_ASYNC,
    ast.AsyncWith: _NO_ASYNC,
    ast.Await: _NO_ASYNC,
    ast.With: _("'with' is not allowed"),
    ast.Try: _NO_TRY,
    ast.TryStar: _NO_TRY,
    ast.Match: _("'match' is not allowed"),
    ast.AnnAssign: _("type annotations are not allowed"),
}


# --- builtins and helpers ----------------------------------------------------------------------------------


def _as_date(value: date | str) -> date:
    """A date from a date, a datetime (in China time when it has a zone) or an ISO string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return (value.astimezone(_CHINA) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    # text, not a message: SpiffWorkflow adds args[0] to its own text when a script fails
    raise TypeError(
        str(
            _(
                "expected a date or an ISO date string like '2024-05-06', not {type}",
                type=type(value).__name__,
            )
        )
    )


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
    return workdays.add_working_days(_as_date(start), n).isoformat()


def _working_days_from_now(n: int) -> str:
    """Now plus n working days, at the same time of day, in China (what a working-day timer waits for)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 2500:
        raise ValueError("working_days_from_now takes a whole number of days from 0 to 2500")
    now = _local_now()
    day = workdays.add_working_days(now.date(), n)
    return datetime.combine(day, now.time(), now.tzinfo).isoformat(timespec="seconds")


def _working_days_between(start: date | str, end: date | str) -> int:
    return workdays.working_days_between(_as_date(start), _as_date(end))


def _is_working_day(day: date | str) -> bool:
    return workdays.is_working_day(_as_date(day))


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
    "range": safe_range,
    "reversed": reversed,
    "round": safe_round,
    "set": set,
    "sorted": sorted,
    "str": safe_str,
    "sum": safe_sum,
    "tuple": tuple,
    "zip": safe_zip,
    "today": _today,
    "now": _now,
    "parse_date": _as_date,
    "days_between": _days_between,
    "add_days": _add_days,
    "add_working_days": _add_working_days,
    "working_days_between": _working_days_between,
    "working_days_from_now": _working_days_from_now,
    "is_working_day": _is_working_day,
}
SAFE_NAMES: frozenset[str] = frozenset(_BUILTINS)
# Python builtins left out: calling one is refused up front rather than failing with a NameError when run.
_UNAVAILABLE = frozenset(name for name in dir(builtins) if not name.startswith("_")) - SAFE_NAMES

# What sandboxed code runs with, on top of the task data. Its own names cannot start with '_', so it can
# neither call nor replace these.
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_sb_method": method,
    "_sb_setitem": setitem,
    "_sb_text": formatted,
    **operator_guards(),
}


# --- static check ------------------------------------------------------------------------------------------


def check(source: str, mode: str = "eval") -> list[SandboxError]:
    """Every reason to refuse `source` ("eval": an expression, "exec": a script); empty when it may run."""
    return _analyse(source, mode)[1]


def _analyse(source: str, mode: str) -> tuple[CodeType | None, list[SandboxError]]:
    """Parse, check, rewrite and compile: the code to run, or every reason to refuse it."""
    if len(source) > MAX_SOURCE_CHARS:
        return None, [
            SandboxError(
                _(
                    "the code is {length} characters long; the limit is {limit}",
                    length=f"{len(source):,}",
                    limit=f"{MAX_SOURCE_CHARS:,}",
                )
            )
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
        return None, [SandboxError(_("syntax error: {detail}", detail=err.msg), err.lineno)]
    except (RecursionError, MemoryError):  # the parser's, the compiler's or our own recursion
        return None, [SandboxError(_("the code is nested too deeply"))]


def _problems(tree: ast.AST) -> list[SandboxError]:
    found: list[tuple[ast.AST, str | Message]] = []
    folded: set[int] = set()
    for node in ast.walk(tree):
        message = _refusal(node)
        if message:
            found.append((node, message))
        if isinstance(node, ast.BinOp) and id(node) not in folded:
            _fold(node, found, folded)
    found.sort(key=lambda item: (getattr(item[0], "lineno", 0), getattr(item[0], "col_offset", 0)))
    return [SandboxError(message, getattr(node, "lineno", None)) for node, message in found]


def _refusal(node: ast.AST) -> str | Message | None:
    if type(node) in _REFUSED_NODES:
        return _REFUSED_NODES[type(node)]
    if isinstance(node, ast.Name):
        return _refused_name(node.id)
    if isinstance(node, ast.keyword) and node.arg:
        return _refused_name(node.arg)
    if isinstance(node, ast.Attribute):
        if not isinstance(node.ctx, ast.Load):
            return _("assigning or deleting attributes is not allowed")
        if node.attr.startswith("_"):
            return _(
                "attribute '{name}' is not allowed: attributes starting with '_' are private", name=node.attr
            )
        if node.attr in DENIED_ATTRIBUTES or node.attr.startswith(DENIED_ATTRIBUTE_PREFIXES):
            return _("attribute '{name}' is not allowed", name=node.attr)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _UNAVAILABLE:
        return _("{name}() is not available in the sandbox", name=node.func.id)
    if isinstance(node, ast.comprehension) and node.is_async:
        return _NO_ASYNC
    if isinstance(node, (ast.List, ast.Tuple)) and isinstance(node.ctx, ast.Load):
        if any(isinstance(item, ast.Starred) for item in node.elts):
            return _("unpacking with * into a list or tuple is not allowed: join sequences with +")
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
        if isinstance(node.target.slice, ast.Slice):
            return _("augmented assignment to a slice is not allowed")
    if isinstance(node, ast.FormattedValue) and node.format_spec:
        return _refused_format_spec(node.format_spec)
    return None


def _refused_name(name: str) -> Message | None:
    if name.startswith("_"):
        return _("name '{name}' is not allowed: names starting with '_' are reserved", name=name)
    return None


def _refused_format_spec(spec: ast.expr) -> str | Message | None:
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    if not all(isinstance(part, ast.Constant) for part in parts):
        return _("computed format specifications in f-strings are not allowed")
    try:
        for number in re.findall(r"[0-9]+", "".join(str(getattr(part, "value", "")) for part in parts)):
            check_width(number, _("f-string format"))
    except SandboxError as err:
        return err.message
    return None


_UNKNOWN = object()


def _fold(node: ast.expr, found: list[tuple[ast.AST, str | Message]], folded: set[int]) -> Any:
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
    if isinstance(node, ast.BinOp) and type(node.op) in GUARDED_OPERATORS:
        folded.add(id(node))
        left, right = _fold(node.left, found, folded), _fold(node.right, found, folded)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        try:
            return _GUARDS[f"_sb_{GUARDED_OPERATORS[type(node.op)][0]}"](left, right)
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
        if type(node.op) not in GUARDED_OPERATORS:
            return node
        name = GUARDED_OPERATORS[type(node.op)][0]
        return ast.copy_location(_call(f"_sb_{name}", node.left, node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt:
        self.generic_visit(node)
        if type(node.op) not in GUARDED_OPERATORS:
            return node
        guard = ast.Name(f"_sb_i{GUARDED_OPERATORS[type(node.op)][0]}", ast.Load())
        target = node.target
        if isinstance(target, ast.Name):
            value = ast.Call(guard, [ast.Name(target.id, ast.Load()), node.value], [])
            return ast.copy_location(ast.Assign([target], value), node)
        # A subscript: check() refuses attribute and slice targets.
        assert isinstance(target, ast.Subscript)
        return ast.copy_location(
            ast.Expr(_call("_sb_setitem", target.value, target.slice, guard, node.value)), node
        )

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        self.generic_visit(node)
        if node.attr not in GUARDED_METHODS:
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
        each = [
            _("line {line}: {problem}", line=p.lineno, problem=p.message) if p.lineno else p.message
            for p in problems
        ]
        raise SandboxError(Listing(each, "; ", "；"), problems[0].lineno)
    assert code is not None  # compiled when nothing was refused
    return code


# --- run ---------------------------------------------------------------------------------------------------


def _run(code: CodeType, namespace: dict[str, Any], time_limit: float) -> Any:
    """eval() under a limit of `time_limit` seconds of this thread's CPU, checked on every line and call of
    sandboxed code. CPU, not the clock: on a busy machine a short script may wait for a core longer than the
    limit, and must not fail for it. The cheap clock is read on every line, the CPU clock only once it says
    the limit may be spent."""
    cpu_started = time.thread_time()
    deadline = time.monotonic() + time_limit

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal deadline
        if frame.f_code.co_filename != _FILENAME:
            return None
        if time.monotonic() > deadline:
            spent = time.thread_time() - cpu_started
            if spent > time_limit:
                raise SandboxError(
                    _("time limit of {seconds} s exceeded", seconds=f"{time_limit:g}"), frame.f_lineno
                )
            deadline = time.monotonic() + (time_limit - spent)
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
    check_size(result, _("the expression's value"), data=True)
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
        check_size(value, _("variable '{name}'", name=name), data=True)
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
            raise ValueError(  # text: SpiffWorkflow adds args[0] to its own
                str(_("task data overwrites data objects; rename these variables: {names}", names=clashes))
            )
        _execute(script, context, external, self.time_limit)
        return True

    def call_service(
        self, context: dict, operation_name: str = "", operation_params: dict | None = None
    ) -> str:
        """A service task's operator: only OneWindow's built-in ones (`services`) run; none reaches the host."""
        return services.call(operation_name, operation_params or {})


class _ScriptEngine(PythonScriptEngine):
    def call_service(self, task: Any, **kwargs: Any) -> str:
        """As SpiffWorkflow's, whose error path names a variable it never set (`script`): a refused operator
        is reported with its own words."""
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:  # noqa: BLE001 - the step fails with the operator's words
            raise WorkflowTaskException(str(err), task=task, exception=err) from err


_ENGINE = _ScriptEngine(environment=SandboxEnvironment())


def script_engine() -> PythonScriptEngine:
    """The script engine to hand every BpmnWorkflow: one for the process, it keeps no state."""
    return _ENGINE
