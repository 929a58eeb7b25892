"""Hardened XML parsing: no DTD, no entities, no network, bounded size. Every BPMN byte passes here first."""

from __future__ import annotations

import re

from lxml import etree

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_NO_DOCTYPE = "a DOCTYPE is not allowed in BPMN (entities and DTDs are refused)"


class UnsafeXml(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


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


def parse(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse untrusted XML; refuse anything with a DOCTYPE (entity bombs and external entities need one)."""
    if len(data) > max_bytes:
        raise UnsafeXml(f"file is {len(data) / 1048576:.1f} MB, over the {max_bytes / 1048576:.0f} MB limit")
    doctype = _DOCTYPE.search(data)
    if doctype:
        raise UnsafeXml(_NO_DOCTYPE, data.count(b"\n", 0, doctype.start()) + 1)
    try:
        tree = etree.fromstring(data, parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"not well-formed XML: {exc.msg}", exc.lineno) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise UnsafeXml(_NO_DOCTYPE, 1)
    return tree
