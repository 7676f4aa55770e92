"""Verbatim quote matching and quotation extraction."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from osint.sources import textmatch

TEXT = (
    "Satellite pictures show tankers.\n"
    "“This constant flow of oil gives North Korea a level of stability it hasn’t had since "
    "these sanctions were introduced,” said Joe Byrne, of the Open Source Centre.\n"
    "“These transfers are fueling Putin’s war machine – this is oil for missiles”, says Hugh "
    "Griffiths, former leader of a UN panel.\n"
    "“Now we have these regimes working together,” he tells the BBC.\n"
)


def test_straight_quotes_dashes_and_spaces_match_typographic_text():
    quote = "These transfers are fueling Putin's war  machine - this is oil for missiles"
    match = textmatch.find(quote, TEXT)
    assert match is not None
    assert TEXT[match.start : match.end].startswith("These transfers")
    assert TEXT[match.end - 8 : match.end] == "missiles"


def test_quotation_marks_and_final_stop_typed_around_a_quote_are_ignored():
    quote = "“This constant flow of oil gives North Korea a level of stability it hasn't had since these sanctions were introduced.”"
    match = textmatch.find(quote, TEXT)
    assert match is not None
    assert textmatch.matches_at(quote, TEXT, match.start, match.end)


def test_changed_words_do_not_match():
    assert textmatch.find("These transfers are fuelling Putin's war machine", TEXT) is None
    assert textmatch.find("this is oil for rockets", TEXT) is None


def test_composed_and_decomposed_accents_are_equal():
    text = "Le ministre a dit : « la cre\u0301ation d'un couloir »."
    assert textmatch.find("la création d'un couloir", text) is not None


def test_matches_at_fails_when_the_text_moved():
    match = textmatch.find("oil for missiles", TEXT)
    assert not textmatch.matches_at("oil for missiles", TEXT, match.start + 1, match.end + 1)


@given(st.text(min_size=1, max_size=300), st.data())
def test_any_substring_is_found_where_it_folds_equal(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    match = textmatch.find(quote, text)
    if textmatch.folded(textmatch.clean_quote(quote)):
        assert match is not None
        assert textmatch.matches_at(quote, text, match.start, match.end)


def test_extract_finds_quotations_and_guesses_speakers():
    found = textmatch.extract(TEXT)
    speakers = [q.speaker for q in found]
    assert speakers == ["Joe Byrne", "Hugh Griffiths", "Hugh Griffiths"]
    assert found[0].text.startswith("This constant flow")
    assert TEXT[found[1].start : found[1].end] == found[1].text
