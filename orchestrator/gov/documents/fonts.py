"""The CJK font PDFs embed (a subset of it), found and registered with reportlab once per process.

Looked up in this order: ``$ONEWINDOW_CJK_FONT`` (a .ttf/.ttc; face ``$ONEWINDOW_CJK_FONT_INDEX``, default
0), the PyPI package ``paperang-p2-fonts-cjk`` (WenQuanYi Micro Hei 文泉驿微米黑, a project dependency),
then Debian's ``fonts-wqy-microhei`` / ``fonts-wqy-zenhei``. No font → ``FontUnavailableError`` naming what
to install; never a PDF of empty boxes. (CFF/PostScript-outline .otf fonts such as Noto Sans CJK are not
usable.)
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from orchestrator.core.errors import OneWindowError
from orchestrator.core.i18n import _

log = logging.getLogger(__name__)

FONT_ENV = "ONEWINDOW_CJK_FONT"
FONT_INDEX_ENV = "ONEWINDOW_CJK_FONT_INDEX"
FONT_PACKAGE = "paperang-p2-fonts-cjk"
_FONT_MODULE, _FONT_RESOURCE = "paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc"
_SYSTEM_FONTS = (  # Debian: fonts-wqy-microhei, fonts-wqy-zenhei (TrueType outlines, embeddable)
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
_PDF_FONT_NAME = "OneWindowCJK"
_FONT_PROBE = "受理通知书办件编号申请人"


class FontUnavailableError(OneWindowError, RuntimeError):
    """No usable CJK TrueType font for PDF documents (an installation problem, not bad input)."""


def _font_file() -> tuple[Path, int]:
    """The CJK TrueType font to embed, as (path, face index in a .ttc)."""
    configured = os.environ.get(FONT_ENV, "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontUnavailableError(
                _("{variable}={path} is not a font file", variable=FONT_ENV, path=repr(configured))
            )
        try:
            index = int(os.environ.get(FONT_INDEX_ENV, "0") or 0)
        except ValueError as exc:
            raise FontUnavailableError(_("{variable} must be an integer", variable=FONT_INDEX_ENV)) from exc
        return path, index
    try:
        packaged = resources.files(_FONT_MODULE).joinpath(_FONT_RESOURCE)
        if packaged.is_file():
            return Path(str(packaged)), 0
    except ModuleNotFoundError:
        pass
    for candidate in _SYSTEM_FONTS:
        if Path(candidate).is_file():
            return Path(candidate), 0
    raise FontUnavailableError(
        _(
            "No CJK font for PDF documents: Chinese text would print as empty boxes. Install the Python "
            "package '{package}' (pip install {package}; it is a dependency of onewindow, so "
            "`pip install -e .` brings it), or Debian's 'fonts-wqy-microhei' (apt-get install "
            "fonts-wqy-microhei), or point {variable} at a TrueType .ttf/.ttc font with Chinese glyphs.",
            package=FONT_PACKAGE,
            variable=FONT_ENV,
        )
    )


@lru_cache(maxsize=1)
def _pdf_font():
    """Register the CJK font with reportlab once; return the reportlab TTFont."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path, index = _font_file()
    try:
        font = TTFont(_PDF_FONT_NAME, str(path), subfontIndex=index)
    except Exception as exc:  # TTFError (e.g. CFF outlines, no embedding rights), OSError
        raise FontUnavailableError(
            _(
                "cannot embed {path} (face {index}) in PDFs: {error}. Use a TrueType CJK font, e.g. the "
                "package '{package}' or Debian's 'fonts-wqy-microhei'.",
                path=str(path),
                index=index,
                error=str(exc),
                package=FONT_PACKAGE,
            )
        ) from exc
    lacking = [c for c in _FONT_PROBE if ord(c) not in font.face.charToGlyph]
    if lacking:
        raise FontUnavailableError(
            _(
                "{path} has no glyphs for {characters}: not a Chinese font. Install '{package}'.",
                path=str(path),
                characters="".join(lacking),
                package=FONT_PACKAGE,
            )
        )
    pdfmetrics.registerFont(font)
    _teach_chinese_line_breaking()
    log.debug("PDF documents use the CJK font %s (face %d)", path, index)
    return font


# Chinese full-width punctuation that must not start a line (禁则). reportlab's CJK wrapping knows the
# Japanese set (、。）」…) but not ，；：！？》” — without these a line may begin with a comma.
_CANNOT_START_ZH = "\uff0c\uff1b\uff1a\uff01\uff1f\u300b\u3009\u201d\u2019\uff0e\u300d\u300f\u3011"


def _teach_chinese_line_breaking() -> None:
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    for module in (textsplit, paragraph):  # each holds its own copy of the string
        current = getattr(module, "ALL_CANNOT_START", None)
        if isinstance(current, str):  # reportlab internals: skip quietly if they ever change
            module.ALL_CANNOT_START = current + "".join(c for c in _CANNOT_START_ZH if c not in current)
