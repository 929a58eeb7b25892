"""Printable documents of a case (办件文书), as HTML and as PDF.

Five kinds (``KINDS`` maps each to its printed title, from ``gov.vocabulary.DOCUMENT_KINDS``):

=================== ================ ============================================================
kind                title            content
=================== ================ ============================================================
``receipt``         收件凭证         applicant, channel, time of receipt, list of materials received
``one_time_notice`` 一次性告知书     补正材料清单: *every* missing material at once, and the deadline
``acceptance``      受理通知书       accepted; promised (承诺) and statutory (法定) due dates
``refusal``         不予受理通知书   the reasons, and the right to 行政复议 (60 days) / 行政诉讼 (6 months)
``completion``      办结通知书       result (通过 / 不通过), result document name and number, delivery
=================== ================ ============================================================

Every document carries its title (centred), the case number, the item name, the agency, a signature
and seal line ("（盖章）") and a date, like the paper ones.

How a document is made: ``model.context`` reads the ``case`` dict (its keys are described there) into
plain values; ``html`` fills the kind's Jinja template ``templates/<kind>.html.j2``, which holds the
document's wording, into a printable A4 page; ``pdf`` walks that very page into a PDF with an embedded CJK
font (``fonts``). So the HTML and the PDF always say the same thing.

API::

    render_html(kind, case) -> str     # a complete, printable A4 page (inline CSS), everything escaped
    render_pdf(kind, case) -> bytes    # A4 PDF with an embedded, subset CJK TrueType font
    render(kind, case) -> (html, pdf)  # both, the PDF made from the HTML
    suggested_filename(kind, case, ext="pdf") -> str

An unknown ``kind`` raises ``ValueError``; a ``case`` that is not a dict, ``TypeError``. Text from ``case``
is data, never markup nor template: ``<script>`` or ``{{ 7*7 }}`` in a name prints as the literal text in
both formats. No usable font raises ``FontUnavailableError`` (see ``fonts``).
"""

from __future__ import annotations

from collections.abc import Mapping

from orchestrator.gov.documents import html
from orchestrator.gov.documents.fonts import FONT_ENV, FONT_INDEX_ENV, FONT_PACKAGE, FontUnavailableError
from orchestrator.gov.documents.model import KINDS, context, suggested_filename

__all__ = [
    "FONT_ENV",
    "FONT_INDEX_ENV",
    "FONT_PACKAGE",
    "KINDS",
    "FontUnavailableError",
    "render",
    "render_html",
    "render_pdf",
    "suggested_filename",
]


def render_html(kind: str, case: Mapping | None) -> str:
    """A complete printable HTML page (A4 print styles, inline CSS) for document ``kind`` of ``case``."""
    return html.render(kind, context(kind, case))


def render_pdf(kind: str, case: Mapping | None) -> bytes:
    """An A4 PDF with an embedded subset CJK font; raises FontUnavailableError if there is no such font."""
    return render(kind, case)[1]


def render(kind: str, case: Mapping | None) -> tuple[str, bytes]:
    """(HTML, PDF) of the same document: the PDF is made from the HTML."""
    from orchestrator.gov.documents import pdf  # reportlab loads on the first PDF, not with the package

    page = render_html(kind, case)
    return page, pdf.from_html(page)
