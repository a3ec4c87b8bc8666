"""The word lists of the unit-name grammar (corpus/data/unit_*.txt)."""

from __future__ import annotations

import unicodedata
from importlib import resources

import pytest

from corpus.vietnamese import match_key

LISTS = sorted(
    f.name for f in resources.files("corpus").joinpath("data").iterdir()
    if f.name.startswith("unit_") and f.name.endswith(".txt")
)


def _phrases(name: str) -> list[str]:
    text = resources.files("corpus").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_every_list_the_grammar_reads_is_packaged():
    assert LISTS == [
        "unit_actions.txt", "unit_heads.txt", "unit_heads_whole.txt", "unit_kinds.txt", "unit_kinds_generic.txt",
        "unit_kinds_not.txt", "unit_localities.txt", "unit_nouns_before_directive.txt", "unit_speech_verbs.txt",
        "unit_stop_words.txt", "unit_titles.txt",
    ]


@pytest.mark.parametrize("name", LISTS)
def test_list_is_commented_nfc_and_canonical(name):
    text = resources.files("corpus").joinpath("data", name).read_text(encoding="utf-8")
    assert text.startswith("# "), "a header says what the list is for"
    assert unicodedata.is_normalized("NFC", text)
    phrases = _phrases(name)
    assert phrases
    # Written the way tokens are compared (lower case, one tone style, single spaces), so
    # what a reader sees in the file is what the grammar matches.
    for p in phrases:
        assert match_key(p) == p and " ".join(p.split()) == p, p
    assert len(set(phrases)) == len(phrases), "no phrase twice"


def test_two_word_lists_hold_two_word_phrases():
    # A kind look-alike is matched as (last word of the kind, next word).
    assert all(len(p.split()) == 2 for p in _phrases("unit_kinds_not.txt"))
    # Stop words are compared one token at a time.
    assert all(len(p.split()) == 1 for p in _phrases("unit_stop_words.txt"))
