"""The report's own CJK font: the glyphs it uses, cut from the installed Noto Sans CJK, as TrueType.

Chromium prints the system's Noto Sans CJK (an OpenType collection with CFF outlines) as Type 3
glyph procedures: the PDF looks right, but some readers then select, search and copy Chinese text
badly. TrueType fonts it embeds as real CID fonts (CIDFontType2, subset). So ``build_report``
embeds, with an ``@font-face`` rule, a font made at publish time: for each weight (regular, bold)
the glyphs of the characters the report uses, redrawn from cubic to quadratic outlines (fontTools'
cu2qu) into a small TrueType font, compressed as WOFF. Measured on the demo report (550 characters,
two weights): ~0.4 s, ~150 KiB of font (~200 KB in the base64 of the HTML); the PDF then lists
two ``CID TrueType`` Noto fonts and no Type 3 font, and is ~0.7 MB smaller.

The font keeps Noto's metrics, names and license records (SIL Open Font License); the CSS family
name is ``Kit CJK``. Without a Noto / Source Han Sans CJK font installed nothing is embedded and
the page falls back to the system font stack.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from functools import lru_cache

FAMILY = "Kit CJK"
# fontconfig patterns of the two weights the report uses (600 and bold both take the bold face)
WEIGHTS = ((400, "Noto Sans CJK SC:weight=regular"), (700, "Noto Sans CJK SC:weight=bold"))
_CJK_FAMILY_MARKS = ("CJK", "Source Han Sans")
# reports are exported in threads: the cached font and glyphs are used by one at a time
_lock = threading.Lock()


@dataclass
class _Source:
    """One installed font face, opened lazily, and the TrueType glyphs already made from it."""

    font: object
    cmap: dict
    glyphs: dict = field(default_factory=dict)  # glyph name -> _Glyph


@dataclass(frozen=True)
class _Glyph:
    data: bytes  # compiled TrueType glyph
    bounds: tuple[int, int, int, int] | None  # xMin, yMin, xMax, yMax; None when empty (a space)
    points: int
    contours: int


@lru_cache(maxsize=4)
def _font_file(pattern: str) -> tuple[str, int] | None:
    """(path, index in the collection) of the font fontconfig picks for ``pattern``, if it is CJK."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run([fc_match, "--format=%{family}\n%{file}\n%{index}", pattern],
                               capture_output=True, text=True, timeout=30).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) < 3 or not any(mark in found[0] for mark in _CJK_FAMILY_MARKS):
        return None
    return found[1], int(found[2] or 0)


@lru_cache(maxsize=4)
def _source(path: str, index: int) -> _Source:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    return _Source(font, font.getBestCmap())


def _truetype_glyph(glyph_set, name: str) -> _Glyph:
    """One glyph redrawn with quadratic curves (1 unit of 1000 per em of tolerance: invisible)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
    glyph = pen.glyph()
    if glyph.numberOfContours <= 0:
        return _Glyph(b"", None, 0, 0)
    glyph.recalcBounds(None)
    points, contours = glyph.getMaxpValues()
    return _Glyph(glyph.compile(None, recalcBBoxes=False), (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax),
                  points, contours)


def truetype_subset(path: str, index: int, codepoints: set[int], flavor: str | None = "woff") -> bytes | None:
    """A TrueType font (WOFF unless ``flavor`` is None) holding the glyphs of ``codepoints``.

    Only code points the font maps are kept; None when it maps none of them. Metrics (units per
    em, ascent and descent, advances), names and OS/2 values are those of the source font. Glyphs
    are converted once per process and kept: a batch's next report converts only its new ones.
    """
    from fontTools.fontBuilder import FontBuilder
    from fontTools.ttLib import newTable
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    with _lock:
        src = _source(path, index)
        font = src.font
        cmap = {cp: src.cmap[cp] for cp in sorted(codepoints) if cp in src.cmap}
        if not cmap:
            return None
        names = [".notdef", *dict.fromkeys(cmap.values())]
        missing = [n for n in names if n not in src.glyphs]
        if missing:
            glyph_set = font.getGlyphSet()
            src.glyphs.update((n, _truetype_glyph(glyph_set, n)) for n in missing)
        made = {n: src.glyphs[n] for n in names}
        hmtx, head, hhea, os2 = font["hmtx"], font["head"], font["hhea"], font["OS/2"]
        advances = {n: hmtx[n][0] for n in names}
        kept_names = {r.nameID: r.toUnicode() for r in font["name"].names
                      if r.platformID == 3 and r.nameID in _NAME_IDS}
        os2_values = {k: getattr(os2, k) for k in _OS2_FIELDS}
        units, mac_style = head.unitsPerEm, head.macStyle
        ascent, descent, gap = hhea.ascent, hhea.descent, hhea.lineGap

    builder = FontBuilder(units, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(cmap)
    # what FontBuilder.setupGlyf does, without decompiling each glyph again to check it for cubics
    glyf = builder.font["glyf"] = newTable("glyf")
    glyf.glyphs = {n: Glyph(g.data) for n, g in made.items()}
    glyf.glyphOrder = names
    builder.font["loca"] = newTable("loca")
    lsb = {n: g.bounds[0] if g.bounds else 0 for n, g in made.items()}
    builder.setupHorizontalMetrics({n: (advances[n], lsb[n]) for n in names})
    inked = [(n, g.bounds) for n, g in made.items() if g.bounds]
    builder.setupHorizontalHeader(
        ascent=ascent, descent=descent, lineGap=gap, advanceWidthMax=max(advances.values()),
        minLeftSideBearing=min((b[0] for _, b in inked), default=0),
        minRightSideBearing=min((advances[n] - b[2] for n, b in inked), default=0),
        xMaxExtent=max((b[2] for _, b in inked), default=0))
    builder.setupNameTable({key: kept_names.get(i, "") for i, key in _NAME_IDS.items()}, mac=False)
    builder.setupOS2(version=4, **os2_values)
    builder.setupPost(keepGlyphNames=False)
    # the glyphs come compiled, with their bounds: the font-wide values are set here, not recomputed
    builder.font.recalcBBoxes = False
    builder.updateHead(macStyle=mac_style, xMin=min((b[0] for _, b in inked), default=0),
                       yMin=min((b[1] for _, b in inked), default=0),
                       xMax=max((b[2] for _, b in inked), default=0),
                       yMax=max((b[3] for _, b in inked), default=0))
    maxp = builder.font["maxp"]
    maxp.numGlyphs = len(names)
    maxp.maxPoints = max(g.points for g in made.values())
    maxp.maxContours = max(g.contours for g in made.values())
    builder.font.flavor = flavor
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


_NAME_IDS = {0: "copyright", 1: "familyName", 2: "styleName", 3: "uniqueFontIdentifier", 4: "fullName",
             5: "version", 6: "psName", 13: "licenseDescription", 14: "licenseInfoURL"}
_OS2_FIELDS = (
    "usWeightClass", "usWidthClass", "fsType", "ySubscriptXSize", "ySubscriptYSize", "ySubscriptXOffset",
    "ySubscriptYOffset", "ySuperscriptXSize", "ySuperscriptYSize", "ySuperscriptXOffset", "ySuperscriptYOffset",
    "yStrikeoutSize", "yStrikeoutPosition", "sFamilyClass", "panose", "ulUnicodeRange1", "ulUnicodeRange2",
    "ulUnicodeRange3", "ulUnicodeRange4", "achVendID", "fsSelection", "sTypoAscender", "sTypoDescender",
    "sTypoLineGap", "usWinAscent", "usWinDescent", "ulCodePageRange1", "ulCodePageRange2", "sxHeight",
    "sCapHeight")


def font_face_css(text: str) -> str:
    """``@font-face`` rules of family ``Kit CJK`` (regular and bold) for the characters of ``text``.

    Empty when no CJK font is installed. ``text`` should hold every character the page may show:
    its text, its generated CSS content and the page numbers (all of printable ASCII is added).
    """
    codepoints = {ord(c) for c in text if ord(c) > 0x20} | set(range(0x20, 0x7F))
    rules = []
    for weight, pattern in WEIGHTS:
        found = _font_file(pattern)
        data = truetype_subset(*found, codepoints) if found else None
        if data:
            rules.append(f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; font-style: normal; '
                         f'src: url(data:font/woff;base64,{base64.b64encode(data).decode("ascii")}) format("woff"); }}')
    return "\n".join(rules)
