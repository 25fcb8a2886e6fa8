"""The fonts certificates are printed with, shipped with the code under their licences (files alongside).

IPAexGothic (IPA Font License) draws Japanese and most Latin text; DejaVu Sans (Bitstream Vera licence)
draws the Latin letters IPAexGothic lacks (Vietnamese ễ, Turkish Ğ, …). Never a system font: every
server renders the same glyphs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_PATH = Path(__file__).resolve().parent / "ipaexg.ttf"
FALLBACK_FONT_PATH = Path(__file__).resolve().parent / "DejaVuSans.ttf"


@lru_cache(maxsize=1)
def _printable_code_points() -> frozenset[int]:
    # Read once per process (about 70 ms): the fonts ship with the code and never change while it runs.
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for path in (FONT_PATH, FALLBACK_FONT_PATH):
        with TTFont(path, lazy=True) as font:
            points |= set(font.getBestCmap())
    return frozenset(points)


def unprintable(text: str) -> str:
    """The characters of ``text`` that neither font can draw (a certificate would print them as blanks)."""
    points = _printable_code_points()
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in points))
