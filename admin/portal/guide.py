"""办事指南 with no login: search items, an item's guide (六公开), its template and sample files, and a
printable 一次性告知 of its materials."""

from __future__ import annotations

import re

from flask import Blueprint, abort, request, send_file

from orchestrator.core.errors import NotFound

from ..web import service
from . import page

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def index():
    query = (request.args.get("q") or "").strip()[:100]
    event = (request.args.get("event") or "").strip()[:20] or None
    items = service().guide_items(query, event)
    return page("index.html", items=items, query=query, event=event, events=service().guide_life_events())


def _guide(code: str) -> dict:
    try:
        return dict(service().guide(code[:200]))
    except NotFound:
        abort(404)


def item(code: str):
    return page("item.html", item=_guide(code))


def notice(code: str):
    return page("notice.html", item=_guide(code))


def item_file(code: str, sha256: str):
    if not SHA256.match(sha256):
        abort(404)
    found = _guide(code)
    try:
        ref, path = service().guide_file(found["code"], sha256)
    except NotFound:
        abort(404)
    response = send_file(
        path,
        mimetype=ref.get("content_type") or "application/octet-stream",
        as_attachment=True,
        download_name=ref.get("file_name") or sha256[:12],
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def routes(bp: Blueprint) -> None:
    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/items/<code>", "item", item)
    bp.add_url_rule("/items/<code>/notice", "notice", notice)
    bp.add_url_rule("/items/<code>/files/<sha256>", "item_file", item_file)
