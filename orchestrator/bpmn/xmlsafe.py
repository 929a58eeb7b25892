"""Hardened XML parsing: no DTD, no entities, no network, bounded size. Every BPMN byte passes here first."""

from __future__ import annotations

import re

from lxml import etree

from orchestrator.core.i18n import Message, _

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 20_000  # XML elements of one file, drawing included: a service item needs a few hundred
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_NO_DOCTYPE = _("a DOCTYPE is not allowed in BPMN (entities and DTDs are refused)")


class UnsafeXml(ValueError):
    """XML refused before or while parsing; `message` is translatable."""

    def __init__(self, message: str | Message, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return str(self.message)


def too_big(size: int, max_bytes: int) -> Message:
    """A file over the size limit (in MB, as people count them)."""
    return _(
        "file is {size} MB, over the {limit} MB limit",
        size=f"{size / 1048576:.1f}",
        limit=f"{max_bytes / 1048576:.0f}",
    )


def parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        collect_ids=False,
    )


def element_of(node: etree._Element) -> str | None:
    """The id of the nearest element at or above `node` that has one and is drawn (an event's definition is
    not: its event is): where a problem is reported, and marked in the modeler."""
    while node is not None:
        if node.get("id") and not str(node.tag).endswith("EventDefinition"):
            return node.get("id")
        node = node.getparent()
    return None


def parse(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse untrusted XML; refuse anything with a DOCTYPE (entity bombs and external entities need one)."""
    if len(data) > max_bytes:
        raise UnsafeXml(too_big(len(data), max_bytes))
    doctype = _DOCTYPE.search(data)
    if doctype:
        raise UnsafeXml(_NO_DOCTYPE, data.count(b"\n", 0, doctype.start()) + 1)
    try:
        tree = etree.fromstring(data, parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(_("not well-formed XML: {detail}", detail=exc.msg), exc.lineno) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise UnsafeXml(_NO_DOCTYPE, 1)
    count = sum(1 for _node in tree.iter())
    if count > MAX_ELEMENTS:
        raise UnsafeXml(
            _("the file has {count} XML elements; at most {limit}", count=count, limit=MAX_ELEMENTS), 1
        )
    return tree
