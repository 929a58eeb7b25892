"""Documents as PDF, built from their HTML: the page a template rendered is parsed and walked into
reportlab flowables, so both formats print the same words.

The walker knows a small, fixed vocabulary (``_GRAMMAR``): the title (``h1``), paragraphs (``p.docno``,
``p.addressee``, ``p.body``, ``p.note``), a field table (``table.fields``: a ``th`` label and a ``td``
value per row), a materials table (``table.list``: caption, header row, numbered rows), a numbered list
(``ol.reasons``) and the closing (``div.closing``: ``p.issuer`` and the ``div.signature`` with agency,
seal and date); inside their text only ``br`` and ``span.case-number``. Column widths come from
``col style="width:N%"``. Any other element, class, attribute, comment, entity or stray text is a template
bug and raises ``UnsupportedMarkup``: nothing is silently dropped.

The HTML is parsed without network access, DTD or entities beyond the escapes of autoescaping; text is
escaped again for reportlab, so ``<script>`` in a name prints as those characters.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterator
from itertools import groupby

from lxml import etree
from lxml import html as lxml_html
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from orchestrator.core.i18n import _
from orchestrator.gov.documents.fonts import _pdf_font
from orchestrator.gov.documents.model import KINDS

log = logging.getLogger(__name__)

# role of an element → {"tag.class" of an element it may contain: that element's role}
_GRAMMAR: dict[str, dict[str, str]] = {
    "html": {"head": "head", "body": "body"},
    "head": {"meta": "meta", "title": "meta", "style": "meta"},
    "body": {f"article.doc.doc-{kind}": "doc" for kind in KINDS},
    "doc": {
        "h1": "title",
        "p.docno": "docno",
        "p.addressee": "addressee",
        "p.body": "body",
        "p.note": "note",
        "table.fields": "table",
        "table.list": "table",
        "ol.reasons": "reasons",
        "div.closing": "closing",
    },
    "closing": {"p.issuer": "issuer", "div.signature": "signature"},
    "signature": {"p.agency": "sign", "p.seal": "sign", "p.date": "sign"},
    "table": {"caption": "caption", "colgroup": "colgroup", "thead": "thead", "tbody": "tbody"},
    "colgroup": {"col": "col"},
    "thead": {"tr": "heading_row"},
    "tbody": {"tr": "row"},
    "heading_row": {"th": "heading"},
    "row": {"th": "label", "td": "cell", "td.num": "number"},
    "reasons": {"li": "item"},
}
_PHRASING = {"br", "span.case-number"}  # what the text of a paragraph, cell or item may contain
_ATTRIBUTES = {"html": {"lang"}, "meta": {"charset", "name", "content"}, "col": {"style"}}  # and class
_WIDTH = re.compile(r"\s*width\s*:\s*(\d+(?:\.\d+)?)%\s*;?\s*")
_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's white space; not the full-width 　, a blank to fill in
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_SHADES = {"heading": "#eeeeee", "label": "#f4f4f4"}  # background of header and label cells

_pdf_lock = threading.Lock()  # reportlab's font subsetting state and registry are process-global


class UnsupportedMarkup(ValueError):
    """The HTML of a document holds something the PDF writer does not know (a template bug)."""


def _refuse(what: str, parent: etree._Element | None) -> UnsupportedMarkup:
    where = _describe(parent) if parent is not None else "the page"
    return UnsupportedMarkup(
        _("document markup: {element} is not allowed in {parent}", element=what, parent=where)
    )


def _describe(element: etree._Element) -> str:
    if not isinstance(element.tag, str):
        return "a comment" if element.tag is etree.Comment else "a processing instruction"
    attributes = "".join(f' {name}="{value}"' for name, value in element.attrib.items())
    return f"<{element.tag}{attributes}>"


def parse(page: str) -> etree._Element:
    """The root element of a document's HTML, parsed without network, DTD or entities."""
    entity = _ENTITY.search(page)
    if entity:
        raise _refuse(f"the entity {page[entity.start() : entity.start() + 12]!r}…", None)
    parser = lxml_html.HTMLParser(
        no_network=True,
        remove_comments=False,
        remove_pis=False,
        default_doctype=False,
        collect_ids=False,
        huge_tree=False,
        encoding="utf-8",
    )
    root = etree.fromstring(page.encode("utf-8"), parser)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype.lower() != "<!doctype html>" or docinfo.public_id or docinfo.system_url:
        raise _refuse(f"the doctype {docinfo.doctype!r}", None)
    return root


def _key(element: etree._Element, parent: etree._Element) -> str:
    if not isinstance(element.tag, str):
        raise _refuse(_describe(element), parent)
    allowed = _ATTRIBUTES.get(element.tag, set()) | {"class"}
    if set(element.attrib) - allowed:
        raise _refuse(_describe(element), parent)
    return ".".join([element.tag, *(element.get("class") or "").split()])


def _blank(text: str | None, parent: etree._Element) -> None:
    if text and _SPACE.sub("", text):
        raise _refuse(f"the text {text.strip()[:40]!r}", parent)


def children(element: etree._Element, role: str) -> Iterator[tuple[str, etree._Element]]:
    """(role, element) of each child of an element of ``role``; anything outside the grammar raises."""
    allowed = _GRAMMAR[role]
    _blank(element.text, element)
    for child in element:
        key = _key(child, element)
        if key not in allowed:
            raise _refuse(_describe(child), element)
        yield allowed[key], child
        _blank(child.tail, element)


def text_of(element: etree._Element) -> list[str]:
    """The lines of a paragraph, cell or item (split at ``br``), white space collapsed as HTML does."""
    lines: list[list[str]] = [[]]

    def collect(node: etree._Element) -> None:
        lines[-1].append(node.text or "")
        for child in node:
            key = _key(child, node)
            if key not in _PHRASING:
                raise _refuse(_describe(child), node)
            if key == "br":
                lines.append([])
            else:
                collect(child)
            lines[-1].append(child.tail or "")

    collect(element)
    return [_SPACE.sub(" ", "".join(parts)).strip(" ") for parts in lines]


def _markup(lines: list[str]) -> str:
    """Lines as reportlab paragraph markup. reportlab collapses runs of spaces, the full-width 　 included,
    so each 　 becomes four no-break spaces (about one em in this font): blanks to fill in by hand survive."""
    escaped = (line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in lines)
    return "<br/>".join(escaped).replace("\u3000", "\xa0" * 4)


def _backgrounds(shades: list[list[str | None]]) -> list[tuple]:
    """BACKGROUND commands for a table's shaded cells: runs of a colour along a row, and the same run
    in the rows below, are one command each (a header row, a label column)."""
    runs: list[list] = []  # colour, first column, last column, first row, last row
    for r, row in enumerate(shades):
        c = 0
        for colour, cells in groupby(row):
            last = c + len(list(cells)) - 1
            if colour:
                above = next((run for run in runs if run[:3] == [colour, c, last] and run[4] == r - 1), None)
                if above:
                    above[4] = r
                else:
                    runs.append([colour, c, last, r, r])
            c = last + 1
    return [("BACKGROUND", (c0, r0), (c1, r1), colors.HexColor(colour)) for colour, c0, c1, r0, r1 in runs]


class _Title(Flowable):
    """Centred title, faux bold (fill + thin stroke), slightly spaced like a printed 公文 title."""

    def __init__(self, text: str, font: str, size: float = 20):
        super().__init__()
        self.text, self.font, self.size = text, font, size

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.size * 1.8

    def draw(self):
        canvas = self.canv
        canvas.saveState()
        canvas.setFont(self.font, self.size)
        canvas.setLineWidth(self.size / 36)
        canvas.drawCentredString(self.width / 2, self.size * 0.55, self.text, mode=2, charSpace=self.size / 8)
        canvas.restoreState()


_MARGINS = {"leftMargin": 26 * mm, "rightMargin": 24 * mm, "topMargin": 25 * mm, "bottomMargin": 22 * mm}
_WIDTH_AVAILABLE = A4[0] - _MARGINS["leftMargin"] - _MARGINS["rightMargin"]


class _Writer:
    """Walks the ``article`` of a document into flowables; keeps its texts for the glyph check."""

    def __init__(self, font: str):
        self.font = font
        self.texts: list[str] = []
        self.info = {"title": "", "docno": "", "case_number": "", "agency": ""}

        def style(name: str, size: float, leading: float, **kw) -> ParagraphStyle:
            return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

        grey = colors.HexColor("#222222")
        self.styles = {
            "body": style("body", 13, 22, firstLineIndent=26, spaceAfter=5),
            "addressee": style("addressee", 13, 22, spaceAfter=3),
            "note": style("note", 10.5, 16, firstLineIndent=21, spaceAfter=5, textColor=grey),
            "docno": style("docno", 10.5, 14, alignment=TA_RIGHT, spaceAfter=10),
            "cell": style("cell", 11, 15),
            "label": style("label", 11, 15),
            "heading": style("heading", 11, 15, alignment=TA_CENTER),
            "number": style("number", 11, 15, alignment=TA_CENTER),
            "caption": style("caption", 11, 15, spaceBefore=2, spaceAfter=3),
            "item": style("item", 13, 22, leftIndent=26 + 16, firstLineIndent=-16, spaceAfter=1),
            "sign": style("sign", 13, 20, alignment=TA_CENTER),
            "issuer": style("issuer", 11, 16),
        }
        self.own_font = ("FONT", (0, 0), (-1, -1), font, 11)  # tables default to Helvetica otherwise

    def paragraph(self, element: etree._Element, role: str, prefix: str = "") -> Paragraph:
        lines = text_of(element)
        self.texts += lines
        return Paragraph(prefix + _markup(lines), self.styles[role])

    def story(self, root: etree._Element) -> list:
        if _key(root, root) != "html":
            raise _refuse(_describe(root), None)
        flowables: list = []
        for role, part in children(root, "html"):
            for inner, element in children(part, role):  # head: meta, title, style (not printed)
                if inner == "doc":
                    for block, child in children(element, "doc"):
                        flowables += self.block(block, child)
        return flowables

    def block(self, role: str, element: etree._Element) -> list:
        if role == "title":
            self.info["title"] = " ".join(text_of(element))
            self.texts.append(self.info["title"])
            return [_Title(self.info["title"], self.font)]
        if role == "docno":
            self.info["docno"] = " ".join(text_of(element))
            numbers = element.find("span")
            self.info["case_number"] = " ".join(text_of(numbers)) if numbers is not None else ""
        if role in ("docno", "addressee", "body", "note"):
            return [self.paragraph(element, role)]
        if role == "table":
            return self.table(element)
        if role == "reasons":
            items = [
                self.paragraph(li, "item", f"{n}. ") for n, (_r, li) in enumerate(children(element, role), 1)
            ]
            return [*items, Spacer(1, 5)]
        return self.closing(element)  # the only role left

    def table(self, element: etree._Element) -> list:
        caption, widths, rows, shades, heading_rows, colgroup = [], [], [], [], 0, None
        for role, part in children(element, "table"):
            if role == "caption":
                caption = [self.paragraph(part, "caption")]
            elif role == "colgroup":
                colgroup, widths = part, [self.width(col, part) for _role, col in children(part, role)]
            else:
                for row_role, tr in children(part, role):
                    cells = list(children(tr, row_role))
                    rows.append([self.paragraph(cell, cell_role) for cell_role, cell in cells])
                    shades.append([_SHADES.get(cell_role) for cell_role, _cell in cells])
                    heading_rows += row_role == "heading_row"
        columns = max((len(r) for r in rows), default=0)
        if colgroup is None:
            widths = [1 / columns] * columns
        elif len(widths) != columns:
            raise _refuse(f"{_describe(colgroup)} of {len(widths)} columns", element)
        rows = [r + [""] * (columns - len(r)) for r in rows]
        table = Table(rows, colWidths=[_WIDTH_AVAILABLE * w for w in widths], repeatRows=heading_rows)
        table.setStyle(
            TableStyle(
                [
                    self.own_font,
                    ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ("LEFTPADDING", (0, 0), (-1, -1), 6),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                    *_backgrounds(shades),
                ]
            )
        )
        return [*(caption or [Spacer(1, 3)]), table, Spacer(1, 8)]

    @staticmethod
    def width(col: etree._Element, colgroup: etree._Element) -> float:
        match = _WIDTH.fullmatch(col.get("style") or "")
        if not match:
            raise _refuse(_describe(col), colgroup)
        return float(match.group(1)) / 100

    def closing(self, element: etree._Element) -> list:
        closing: list = [Spacer(1, 12)]
        for role, part in children(element, "closing"):
            if role == "issuer":
                closing.append(self.paragraph(part, "issuer"))
                continue
            lines = []
            for _r, line in children(part, role):
                if line.get("class") == "agency":
                    self.info["agency"] = " ".join(text_of(line))
                lines.append([self.paragraph(line, "sign")])
            signature = Table(lines, colWidths=[_WIDTH_AVAILABLE * 0.55], hAlign="RIGHT")
            padding = [("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
            signature.setStyle(TableStyle([self.own_font, *padding]))
            closing += [Spacer(1, 14), signature]
        return [KeepTogether(closing)]


def from_html(page: str) -> bytes:
    """An A4 PDF of a document's HTML page, with an embedded subset CJK font (FontUnavailableError
    without one); UnsupportedMarkup if the page holds anything outside the grammar."""
    root = parse(page)
    font = _pdf_font()
    writer = _Writer(font.fontName)
    story = writer.story(root)
    info = writer.info
    missing = sorted(
        {c for t in writer.texts for c in t if ord(c) not in font.face.charToGlyph and c != "\n"}
    )
    if missing:
        number = info["case_number"]
        log.warning(
            "case %s: font has no glyph for %s", number, "".join(missing[:20]), extra={"case": number}
        )

    def footer(canvas, template):
        canvas.saveState()
        canvas.setFont(font.fontName, 9)
        canvas.setFillColor(colors.HexColor("#555555"))
        y = _MARGINS["bottomMargin"] - 10 * mm
        if info["case_number"]:
            canvas.drawString(_MARGINS["leftMargin"], y, f"{info['title']}\u3000{info['docno']}")
        canvas.drawRightString(A4[0] - _MARGINS["rightMargin"], y, f"第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{info['title']} {info['case_number']}".strip(),
        author=info["agency"],
        subject=info["case_number"],
        creator="OneWindow",
        lang="zh-CN",
        initialFontName=font.fontName,  # so no unembedded standard font (Helvetica) is referenced at all
        initialFontSize=12,
        **_MARGINS,
    )
    with _pdf_lock:
        template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
