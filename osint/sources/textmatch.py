"""Finding a verbatim quote in a text, and proposing the quotations a text contains.

Matching is exact on the words but tolerant of how they were typed: runs of white space count as
one space, curly and straight quote marks are the same, so are hyphens and dashes, an ellipsis
character equals three dots, and composed and decomposed accents are equal. Offsets always refer
to the original text, so `text[start:end]` is what the quote was matched against.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_QUOTE_MARKS = {
    **dict.fromkeys("“”„‟«»″〝〞＂❝❞", '"'),
    **dict.fromkeys("‘’‚‛′‹›❛❜`´", "'"),
}
_DASHES = dict.fromkeys("‐‑‒–—―−﹘﹣－", "-")
_DROPPED = set("\u200b\u200c\u200d\u2060\ufeff\u00ad")  # zero-width characters, soft hyphen
_OPENERS = "\"'“‘„‚«‹「『"
_CLOSERS = "\"'”’“‘»›」』"


def _fold(char: str) -> str:
    """The comparable form of one character ('' when it does not count)."""
    if char in _DROPPED:
        return ""
    if char.isspace():
        return " "
    if char in _QUOTE_MARKS:
        return _QUOTE_MARKS[char]
    if char in _DASHES:
        return "-"
    if char == "…":
        return "..."
    if char.isascii():
        return char
    return unicodedata.normalize("NFKD", char)


def normalize(text: str) -> tuple[str, list[int]]:
    """(folded text, offsets) where offsets[i] is the index in `text` of folded character i."""
    out: list[str] = []
    offsets: list[int] = []
    last_space = True
    for index, char in enumerate(text):
        folded = _fold(char)
        if not folded:
            continue
        if folded == " ":
            if last_space:
                continue
            last_space = True
        else:
            last_space = False
        out.append(folded)
        offsets.extend([index] * len(folded))
    # Folded text never ends in a space: trailing white space does not count.
    while out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def folded(text: str) -> str:
    return normalize(text)[0]


def clean_quote(quote: str) -> str:
    """A quote as typed, without the quotation marks or white space around it."""
    quote = quote.strip()
    while len(quote) > 1 and quote[0] in _OPENERS and quote[-1] in _CLOSERS:
        quote = quote[1:-1].strip()
    return quote


@dataclass
class Match:
    start: int
    end: int


def find(quote: str, text: str) -> Match | None:
    """Where `quote` occurs in `text`, as character offsets into `text`, or None."""
    needle = folded(clean_quote(quote))
    if not needle:
        return None
    haystack, offsets = normalize(text)
    candidates = [needle]
    # "... sanctions." typed with its full stop when the text closes the quotation first.
    trimmed = needle.rstrip(".,;:!? ")
    if trimmed and trimmed != needle:
        candidates.append(trimmed)
    for candidate in candidates:
        at = haystack.find(candidate)
        while at >= 0:
            stop = at + len(candidate)
            # A match starts and ends on whole characters of the text: "a" is not in "à".
            starts_whole = at == 0 or offsets[at] != offsets[at - 1]
            ends_whole = stop == len(haystack) or (
                offsets[stop] != offsets[stop - 1] and not unicodedata.combining(haystack[stop])
            )
            if starts_whole and ends_whole:
                return Match(start=offsets[at], end=offsets[stop - 1] + 1)
            at = haystack.find(candidate, at + 1)
    return None


def matches_at(quote: str, text: str, start: int, end: int) -> bool:
    """True when text[start:end] is still the quote (what `verify` re-checks)."""
    if start is None or end is None or not (0 <= start < end <= len(text)):
        return False
    found = folded(text[start:end])
    needle = folded(clean_quote(quote))
    return found == needle or found == needle.rstrip(".,;:!? ")


# ---- proposing quotations ---------------------------------------------------------------------

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſА-ЯЁ"
_NAME_WORD = rf"[{_UPPER}][\w'’.-]*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:de|da|van|von|bin|al|la|le|del)\s+)?{_NAME_WORD}){{0,3}}"
_VERBS = (
    r"says|said|say|explains|explained|tells|told|warns|warned|adds|added|suggests|suggested|"
    r"comments|commented|notes|noted|argues|argued|writes|wrote|insists|insisted|stresses|"
    r"stressed|claims|claimed|believes|believed|guarantees|guaranteed|asserts|asserted|"
    r"continues|continued|concludes|concluded|recalls|recalled|observes|observed|remarks|remarked"
)
_PRONOUNS = (
    r"he|she|they|the (?:minister|official|expert|analyst|researcher|politician|spokesperson)"
)
_AFTER_NAMED = re.compile(
    rf"^[\s,.;:–—-]*(?:(?:{_VERBS})\s+(?:the\s+\w+\s+)?(?P<a>{_NAME})|(?P<b>{_NAME})\s+(?:{_VERBS})\b)"
)
_AFTER_PRONOUN = re.compile(
    rf"^[\s,.;:–—-]*(?:(?:{_PRONOUNS})\s+(?:{_VERBS})|(?:{_VERBS})\s+(?:{_PRONOUNS}))\b", re.I
)
_BEFORE = re.compile(
    rf"(?:(?P<a>{_NAME})(?:,[^,.“\"]{{2,80}},)?\s+(?:{_VERBS})(?:\s+\w+){{0,3}}|according to (?P<b>{_NAME})[^.“\"]{{0,80}})"
    r"[\s,:–—-]*$"
)
_ROLE = re.compile(r"^,\s*(?P<role>[^.,;“”\"]{3,120}?)(?=[.,;]|$)")
_SKIP_NAMES = {
    "The",
    "This",
    "That",
    "But",
    "And",
    "It",
    "In",
    "At",
    "On",
    "According",
    "If",
    "Now",
    "We",
}


@dataclass
class Quotation:
    text: str
    start: int
    end: int
    speaker: str | None
    role: str | None = None


def _clean_name(name: str | None) -> str | None:
    if not name:
        return None
    words = name.split()
    while words and words[0] in _SKIP_NAMES:
        words = words[1:]
    while words and words[-1].rstrip(".,") != words[-1]:
        words[-1] = words[-1].rstrip(".,")
    name = " ".join(words)
    return name or None


def _speaker_near(text: str, start: int, end: int) -> tuple[str | None, str | None, bool]:
    """(speaker, role, is_pronoun) from the words around a quotation at text[start:end]."""
    paragraph_end = text.find("\n", end)
    after = text[end : paragraph_end if paragraph_end >= 0 else len(text)][:240]
    match = _AFTER_NAMED.match(after)
    if match:
        name = _clean_name(match.group("a") or match.group("b"))
        role_match = _ROLE.match(after[match.end() :])
        role = role_match.group("role").strip() if role_match else None
        if name:
            return name, role, False
    if _AFTER_PRONOUN.match(after):
        return None, None, True
    paragraph_start = text.rfind("\n", 0, start) + 1
    before = text[max(paragraph_start, start - 240) : start]
    match = _BEFORE.search(before)
    if match:
        name = _clean_name(match.group("a") or match.group("b"))
        if name:
            return name, None, False
    return None, None, False


_QUOTATION = re.compile(r"“([^“”]{8,}?)”|\"([^\"\n]{8,}?)\"|«([^«»]{8,}?)»|„([^„“”]{8,}?)[“”]")


def extract(text: str, min_words: int = 4) -> list[Quotation]:
    """The quotations in a text, each with the speaker the surrounding words suggest.

    A pronoun after a quotation ("he says") is taken to mean the previous speaker.
    """
    found: list[Quotation] = []
    previous: str | None = None
    for match in _QUOTATION.finditer(text):
        group = next(i for i in range(1, 5) if match.group(i) is not None)
        inner_start, inner_end = match.start(group), match.end(group)
        inner = text[inner_start:inner_end]
        if len(inner.split()) < min_words:
            continue
        speaker, role, pronoun = _speaker_near(text, match.start(), match.end())
        if speaker is None and pronoun:
            speaker = previous
        if speaker:
            previous = speaker
        found.append(Quotation(inner.strip(), inner_start, inner_end, speaker, role))
    return found
