"""Conditions as other modelers write them, translated into sandbox expressions (Python) where that is safe.

- JUEL (Camunda 7, Flowable, Activiti): `${amount > 100 && approved}`, `#{…}`, `&&` `||` `!`, `eq ne lt gt
  le ge`, `and or not`, `empty x`, `null`, `true`/`false`, 'strings', `a.b`;
- FEEL (Camunda 8 / Zeebe, DMN): `= amount > 100 and approved`, `not(x)`, `x in ["a","b"]`, `x = null`,
  `x != "a"`, `true`/`false`/`null`, and one quantifier over a list (`some r in risks satisfies r = "red"`,
  `every …`, read as Python's `any(…)` / `all(…)`);
- XPath's `bpmn:getDataObject('x')` (read as `x`), with FEEL's operators;
- what is already a sandbox expression (SpiffArena, OneWindow) is left as written.

Comparisons, and/or/not, literals, null and empty checks, list membership and arithmetic translate; anything
else (a function or method call, a path, a script language) does not: the condition is kept as written and
the import reports it, on its element, for the analyst to rewrite.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass

from orchestrator.bpmn import sandbox

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<name>[^\W\d][\w]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[<>=!()\[\],+\-*/%.])
    )""",
    re.VERBOSE | re.UNICODE,
)
_WORDS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "in": "in",
    "true": "True",
    "false": "False",
    "null": "None",
}
_JUEL_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_JUEL_OPS = {"&&": "and", "||": "or", "!": "not", "==": "==", "!=": "!="}
_FEEL_OPS = {"=": "==", "!=": "!="}
_COMMON_OPS = ("<", ">", "<=", ">=", "(", ")", "[", "]", ",", "+", "-", "*", "/", "%")
_EMPTY = "in (None, '', [], {})"
_QUANTIFIER = re.compile(r"(some|every)\s+([^\W\d]\w*)\s+in\s+(.+?)\s+satisfies\s+(.+)\Z", re.DOTALL)
_DATA_OBJECT = re.compile(r"""bpmn:getDataObject\(\s*['"]([^\W\d]\w*)['"]\s*\)""")


@dataclass(frozen=True)
class Translation:
    source: str  # what the diagram says
    python: str | None  # the sandbox expression, or None when it cannot be translated
    dialect: str  # "python", "juel" or "feel"

    @property
    def changed(self) -> bool:
        return self.python is not None and self.python != self.source


def translate(text: str, language: str | None = None, names: Mapping[str, str] | None = None) -> Translation:
    """The sandbox expression for a condition as written (`language`: the expression's language attribute;
    `names`: the diagram's data names with spaces, as FEEL allows them, and the variable each is read as)."""
    source = (text or "").strip()
    lang = (language or "").lower()
    if names and not (source.startswith("${") or source.startswith("#{")):
        return _with_names(source, lang, names)
    return _translate(source, lang)


def _with_names(source: str, lang: str, names: Mapping[str, str]) -> Translation:
    """Translate with each known name with spaces read as its variable (outside string literals)."""
    pattern = re.compile(
        "|".join(
            r"(?<![\w])" + r"\s+".join(map(re.escape, name.split())) + r"(?![\w])"
            for name in sorted(names, key=len, reverse=True)
        )
    )
    if not pattern.search(source):
        return _translate(source, lang)
    by_words = {" ".join(name.split()): variable for name, variable in names.items()}
    parts = re.split(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""", source)
    plain = "".join(
        part if i % 2 else pattern.sub(lambda m: by_words[" ".join(m.group(0).split())], part)
        for i, part in enumerate(parts)
    )
    translated = _translate(plain, lang)
    return Translation(source, translated.python, translated.dialect)


def _translate(source: str, lang: str) -> Translation:
    if any(s in lang for s in ("javascript", "groovy", "python:", "ecmascript")):
        return Translation(source, None, lang.rsplit("/", 1)[-1] or lang)
    if (source.startswith("${") or source.startswith("#{")) and source.endswith("}"):
        return Translation(source, _safe(_tokens(source[2:-1], "juel")), "juel")
    if source.startswith("="):
        return Translation(source, _safe(_tokens(source[1:], "feel")), "feel")
    if _DATA_OBJECT.search(source):  # XPath's data object access, as Signavio and Camunda 7 samples write it
        plain = _DATA_OBJECT.sub(lambda m: m.group(1), source)
        return Translation(source, _safe(_tokens(plain, "feel")), "xpath")
    if source and not sandbox.check(source, "eval"):
        return Translation(source, source, "python")
    return Translation(source, _safe(_tokens(source, "feel")), "feel")


def _safe(python: str | None) -> str | None:
    if not python or sandbox.check(python, "eval"):
        return None
    return python


def _tokens(text: str, dialect: str) -> str | None:
    """Translate token by token; None when a token has no safe meaning here."""
    quantified = _QUANTIFIER.match(text.strip()) if dialect == "feel" else None
    if quantified:
        word, name, collection, condition = quantified.groups()
        inner = _plain_tokens(condition, dialect)
        items = _plain_tokens(collection, dialect)
        if inner is None or items is None or keyword.iskeyword(name) or name.startswith("_"):
            return None
        return f"{'any' if word == 'some' else 'all'}(({inner}) for {name} in ({items}))"
    return _plain_tokens(text, dialect)


def _plain_tokens(text: str, dialect: str) -> str | None:
    raw: list[tuple[str, str]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return None
        pos = m.end()
        kind = m.lastgroup or ""
        raw.append((kind, m.group(kind)))
    out: list[str] = []
    i = 0
    while i < len(raw):
        kind, value = raw[i]
        following = raw[i + 1] if i + 1 < len(raw) else ("", "")
        if kind in ("string", "number"):
            out.append(value)
        elif kind == "name":
            lowered = value.lower() if dialect == "juel" else value
            if lowered in _WORDS:
                out.append(_WORDS[lowered])
            elif dialect == "juel" and lowered in _JUEL_WORDS:
                out.append(_JUEL_WORDS[lowered])
            elif dialect == "juel" and lowered == "empty" and following[0] == "name":
                out.append(f"({following[1]} {_EMPTY})")
                i += 1
            elif keyword.iskeyword(value) or value.startswith("_"):
                return None
            elif following == ("op", "("):
                return None  # a function call: no function of theirs is ours
            else:
                name = value
                while (
                    i + 2 < len(raw)
                    and raw[i + 1] == ("op", ".")
                    and raw[i + 2][0] == "name"
                    and (i + 3 >= len(raw) or raw[i + 3] != ("op", "("))
                ):
                    name += f"[{raw[i + 2][1]!r}]"
                    i += 2
                if i + 1 < len(raw) and raw[i + 1] == ("op", "."):
                    return None  # a method call
                out.append(name)
        else:
            table = _JUEL_OPS if dialect == "juel" else _FEEL_OPS
            if value in table:
                out.append(table[value])
            elif value in _COMMON_OPS:
                out.append(value)
            else:
                return None
        i += 1
    python = " ".join(out)
    return re.sub(r"\( ", "(", re.sub(r" \)", ")", re.sub(r"\[ ", "[", re.sub(r" \]", "]", python)))).replace(
        " ,", ","
    )
