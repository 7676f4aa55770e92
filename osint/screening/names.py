"""Vessel names as sanctions screening compares them, and the fuzzy matcher (rigour's).

`comparable(name)` turns a name into the tokens screening compares:

1. transliterated to Latin with rigour (`ascii_text`: Hangul, Cyrillic and other scripts);
2. upper-cased, punctuation dropped (rigour's name tokenizer);
3. the ship prefixes lists add or leave out (`M/V`, `MT`, `M.T.`: rigour's object prefixes);
4. hull numbers written alike: `NO. 2`, `NO 2`, `NO.2`, `No2`, `№2` and `#2` all become `2`, and
   digits glued to a word are split off (`YUSON2` -> `YUSON 2`); roman numerals after a name
   (`ANSHUN II`) become digits.

Hangul names get a second spelling: rigour romanises Korean in the Revised Romanization used in
the South (유선 -> YUSEON), while DPRK vessels are listed in McCune-Reischauer without its marks
(YU SON). `korean_variants` folds the systematic differences (eo/o, eu/u, initial g/k, d/t, b/p,
j/ch, r/l), and that folded spelling is compared with every listed name folded the same way.

The comparison itself is rigour's `compare_parts` (the residue-distance matcher behind
OpenSanctions' screening): it scores typos and transliteration drift, charges almost nothing for
words written together or apart (`YU SON` ~ `YUSON` 0.97) and refuses to match across too many
edits. Hull numbers must agree: `SAM JONG 1` and `SAM JONG 2` are different ships; a number on
one side only (`DIAMOND` and `DIAMOND II`) caps the score at a possible match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_HASH_NUMBER = re.compile(r"(?:\b(?:NO|N0|NR)\.?|№|#)\s*[.:]?\s*(?=\d)")
_GLUED = re.compile(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])")
_ROMAN = {"II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7", "VIII": "8", "IX": "9"}
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


@dataclass(frozen=True)
class Comparable:
    """A name ready to compare: its tokens, their compact form and hull numbers."""

    original: str
    tokens: tuple[str, ...]
    compact: str
    numbers: frozenset[str]
    korean: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@lru_cache(maxsize=65536)
def comparable(name: str) -> Comparable | None:
    """The screening form of a name, or None when nothing comparable is left."""
    from rigour.names import remove_obj_prefixes, tokenize_name
    from rigour.text import ascii_text

    text = (name or "").strip()
    if not text:
        return None
    korean = bool(_HANGUL.search(text))
    text = ascii_text(text).upper()
    text = remove_obj_prefixes(text)
    text = _HASH_NUMBER.sub(" ", text)
    text = _GLUED.sub(" ", text)
    tokens = [t for t in tokenize_name(text) if t]
    # A roman numeral is a hull number only after the name (`ANSHUN II`), never alone.
    if len(tokens) > 1 and tokens[-1] in _ROMAN:
        tokens[-1] = _ROMAN[tokens[-1]]
    # `NO` left alone before a number written in words is noise too; a lone `NO` is a name.
    tokens = [t for i, t in enumerate(tokens) if not (t == "NO" and 0 < i < len(tokens) - 1)]
    if not tokens:
        return None
    numbers = frozenset(t.lstrip("0") or "0" for t in tokens if t.isdigit())
    return Comparable(name, tuple(tokens), "".join(tokens), numbers, korean)


_KOREAN_FOLDS = (
    (re.compile(r"EO"), "O"),
    (re.compile(r"EU"), "U"),
    (re.compile(r"^G"), "K"),
    (re.compile(r"^D"), "T"),
    (re.compile(r"^B"), "P"),
    (re.compile(r"^J"), "CH"),
    (re.compile(r"^L"), "R"),
    # A syllable-final g (not the ng of ㅇ) before a consonant or at the end: MR writes k.
    (re.compile(r"(?<!N)G(?![AEIOUWY])"), "K"),
)


@lru_cache(maxsize=65536)
def korean_fold(text: str) -> str:
    """Revised Romanization and McCune-Reischauer spellings of one Korean name brought together."""
    for pattern, replacement in _KOREAN_FOLDS:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=65536)
def folded(c: Comparable) -> Comparable:
    tokens = tuple(korean_fold(t) for t in c.tokens)
    return Comparable(c.original, tokens, "".join(tokens), c.numbers, c.korean)


@dataclass(frozen=True)
class NameScore:
    score: float
    left: str
    right: str
    note: str = ""


@lru_cache(maxsize=262144)
def _compare_tokens(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    from rigour.names import NamePart, compare_parts

    alignments = compare_parts(
        [NamePart(t.lower(), i) for i, t in enumerate(left)],
        [NamePart(t.lower(), i) for i, t in enumerate(right)],
    )
    total = weight = 0.0
    for alignment in alignments:
        size = len(alignment.qstr.replace(" ", "")) + len(alignment.rstr.replace(" ", ""))
        total += alignment.score * size
        weight += size
    return total / weight if weight else 0.0


def compare(left: Comparable, right: Comparable) -> NameScore:
    """How alike two names are, 0 to 1 (rigour's matcher), with what was compared."""
    score = 1.0 if left.tokens == right.tokens else _compare_tokens(left.tokens, right.tokens)
    note = ""
    if left.numbers and right.numbers and left.numbers != right.numbers:
        # A different hull number is a different ship, however alike the rest.
        score = min(score, 0.5)
        note = f"numbers differ ({'/'.join(sorted(left.numbers))} vs {'/'.join(sorted(right.numbers))})"
    elif left.numbers != right.numbers and score < 1.0:
        # `DIAMOND` and `DIAMOND II`, `SEA STAR` and `SEA STAR III`: sister ships or a renumbered
        # name; never more than a possible match.
        score = min(score * ONE_SIDED_NUMBER_FACTOR, ONE_SIDED_NUMBER_CAP)
        shown = "/".join(sorted(left.numbers or right.numbers))
        note = f"hull number {shown} on one side only"
    return NameScore(round(score, 2), left.text, right.text, note)


# A hull number or numeral on one name only lowers the score to at most this (a possible match).
ONE_SIDED_NUMBER_FACTOR = 0.88
ONE_SIDED_NUMBER_CAP = 0.8


def trigrams(compact: str) -> set[str]:
    padded = f"^{compact}$"
    if len(padded) < 3:
        return {padded}
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
