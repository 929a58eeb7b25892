"""Messages a user sees, in the user's language.

A message is written in English with `{name}` fields, `_("no task {id}", id=7)`, and stays a `Message` (its
id and fields) until it is shown: the door that shows it chooses the language. The web app and the API use
the request's language (Chinese unless the user or `Accept-Language` asks for English); the CLI follows
`LANG`. Chinese lives in `locale/zh.po` (English ids, Chinese strings); `tests/test_i18n.py` checks that every
message of the code has its translation there.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

LOCALES = ("zh", "en")
CATALOGS = Path(__file__).parent / "locale"
_current: ContextVar[str | None] = ContextVar("onewindow_locale", default=None)


class Message:
    """A translatable message: an English id with fields, rendered in the current language by `str()`."""

    __slots__ = ("msgid", "fields")

    def __init__(self, msgid: str, fields: Mapping[str, Any] | None = None):
        self.msgid = msgid
        self.fields = dict(fields or {})

    def render(self, locale: str | None = None) -> str:
        text = translate(self.msgid, locale)
        if not self.fields:
            return text
        values = {k: v.render(locale) if isinstance(v, Message) else v for k, v in self.fields.items()}
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation must not hide the message
            return self.msgid.format(**values)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.fields!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.msgid, self.fields) == (other.msgid, other.fields)
        return str(self) == other if isinstance(other, str) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.msgid)

    def __contains__(self, text: str) -> bool:
        return text in str(self)


def _(msgid: str, /, **fields: Any) -> Message:
    """Mark a message for translation; `fields` fill its `{name}` placeholders when it is shown."""
    return Message(msgid, fields)


def join(parts: list[Any], sep: str = "、") -> str:
    """A list shown in a message (rendered now: lists are built at the door or hold plain values)."""
    return sep.join(str(p) for p in parts)


class Listing(Message):
    """A list in a message, joined when shown: with `sep` in English (", ") and `zh_sep` in Chinese ("、");
    items that are messages are shown in the same language."""

    __slots__ = ("sep", "zh_sep")

    def __init__(self, items: Iterable[Any], sep: str = ", ", zh_sep: str = "、"):
        super().__init__("", {"items": tuple(items)})
        self.sep, self.zh_sep = sep, zh_sep

    def render(self, locale: str | None = None) -> str:
        locale = locale or current()
        sep = self.zh_sep if locale == "zh" else self.sep
        return sep.join(p.render(locale) if isinstance(p, Message) else str(p) for p in self.fields["items"])


class Named(Message):
    """Something a message names by its code (a field path, say): the code in English, and `label（code）`
    in Chinese when it has a Chinese label (a form field's title, a catalog field's name)."""

    __slots__ = ("label",)

    def __init__(self, code: str, label: str | None = None):
        super().__init__(code)
        self.label = label

    def render(self, locale: str | None = None) -> str:
        if self.label and (locale or current()) == "zh":
            return f"{self.label}（{self.msgid}）"
        return self.msgid


def current() -> str:
    """The language messages are shown in now: the door's choice, else the process's (LANG)."""
    return _current.get() or from_env()


def from_env(env: Mapping[str, str] | None = None) -> str:
    """The language of a command-line process: zh when LC_ALL, LC_MESSAGES or LANG says Chinese."""
    env = os.environ if env is None else env
    for name in ("ONEWINDOW_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").lower()
        if value:
            return "zh" if value.startswith("zh") else "en"
    return "en"


def choose(locale: str | None) -> str:
    """One of LOCALES for any tag (zh-CN, zh_Hans, en-US …); unknown tags give English."""
    tag = (locale or "").replace("_", "-").lower()
    return "zh" if tag.startswith("zh") else "en"


def use(locale: str | None) -> None:
    """Show messages in `locale` from now on in this context (a web request, a CLI run)."""
    _current.set(choose(locale) if locale else None)


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    token = _current.set(choose(locale))
    try:
        yield
    finally:
        _current.reset(token)


def translate(msgid: str, locale: str | None = None) -> str:
    locale = locale or current()
    if locale == "en":
        return msgid
    return catalog(locale).get(msgid) or msgid


@functools.cache
def catalog(locale: str) -> dict[str, str]:
    """msgid → translation, read once from `locale/<locale>.po`."""
    from babel.messages.pofile import read_po

    path = CATALOGS / f"{locale}.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        return {
            str(m.id): str(m.string)
            for m in read_po(f, locale=locale)
            if isinstance(m.id, str) and isinstance(m.string, str) and m.string
        }
