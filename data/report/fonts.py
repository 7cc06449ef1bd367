"""Finding a font that draws Chinese, so that charts show glyphs and not boxes.

Matplotlib draws a character it has no glyph for as an empty box (tofu). Rather than trust
a family name, the chosen font's character map is read (fontTools) and must hold every
Chinese character the charts will draw. When no installed font does, the caller draws the
charts with English labels and says so.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from matplotlib import font_manager


@dataclass(frozen=True)
class FontChoice:
    family: str
    path: str
    index: int  # face number inside a .ttc collection


def is_cjk(char: str) -> bool:
    """CJK ideographs, symbols and punctuation, full-width forms (what Latin fonts lack)."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK symbols/punctuation, kana, unified ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x3FFFF  # extension ideographs
    )


def cjk_characters(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(ch for t in texts for ch in t if is_cjk(ch))


@lru_cache(maxsize=64)
def character_map(path: str, index: int) -> frozenset[int]:
    """The code points the face ``index`` of the font file at ``path`` has glyphs for."""
    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        cmap = font.getBestCmap() or {}
        return frozenset(cmap)
    finally:
        font.close()


def missing_glyphs(choice: FontChoice, chars: Iterable[str]) -> frozenset[str]:
    have = character_map(choice.path, choice.index)
    return frozenset(ch for ch in chars if ord(ch) not in have)


def find_cjk_font(families: Sequence[str], chars: Iterable[str]) -> FontChoice | None:
    """The first of ``families`` installed (as matplotlib sees fonts) covering ``chars``.

    matplotlib keeps its font list in a cache built the first time it ran; fonts installed
    later (``apt-get install fonts-noto-cjk`` after matplotlib was used) are missing from
    it, so on a miss the system's fonts are looked up once more before giving up.
    """
    needed = frozenset(chars)
    found = _first_covering(families, needed)
    if found is None and _add_new_system_fonts():
        found = _first_covering(families, needed)
    return found


@lru_cache(maxsize=1)
def _add_new_system_fonts() -> bool:
    """Add system fonts matplotlib's cache does not know; True when there were any."""
    manager = font_manager.fontManager
    known = {str(e.fname) for e in manager.ttflist}
    new = sorted(p for p in font_manager.findSystemFonts() if p not in known)
    for path in new:
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue  # an unreadable font file is skipped, as matplotlib itself does
    return bool(new)


def _first_covering(families: Sequence[str], needed: frozenset[str]) -> FontChoice | None:
    entries = font_manager.fontManager.ttflist
    for family in families:
        # Regular weight first: the report's labels are not bold.
        faces = sorted(
            (e for e in entries if e.name == family and e.style == "normal"),
            key=lambda e: (abs(_weight(e.weight) - 400), str(e.fname), int(e.index)),
        )
        for face in faces:
            choice = FontChoice(family, str(face.fname), int(face.index))
            if not missing_glyphs(choice, needed):
                return choice
    return None


def _weight(value: object) -> int:
    if isinstance(value, int):
        return value
    return font_manager.weight_dict.get(str(value), 400)
