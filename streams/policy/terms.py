"""Matching listed names and terms in prompt text, robust to the usual ways of dodging a word filter.

Text and terms are folded the same way before matching: Unicode compatibility forms and accents
removed, case folded, look-alike letters from other scripts (Cyrillic, Greek) mapped to Latin,
leetspeak digits and symbols mapped to letters, and everything but letters dropped, so that
"Gr3g  Rutk0wsk1", "g.r.e.g rutkowski" and "Grеg Rutkowski" (Cyrillic e) all read "gregrutkowski".
A match must start and end at word edges of the original text, so a short term does not fire
inside a longer word; a term listed with a trailing '*' ("behead*") needs the edge at its start only.
Each match keeps the span of the original text it covers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Look-alikes from other scripts that NFKD leaves alone (a small table of the common confusables).
HOMOGLYPHS = str.maketrans(
    {
        **dict.fromkeys("аα", "a"), "в": "b", **dict.fromkeys("сϲ", "c"), **dict.fromkeys("еε", "e"),
        "һ": "h", **dict.fromkeys("іι", "i"), "ј": "j", **dict.fromkeys("кκ", "k"), "м": "m",
        **dict.fromkeys("оοσ", "o"), **dict.fromkeys("рρ", "p"), "ѕ": "s", **dict.fromkeys("тτ", "t"),
        **dict.fromkeys("υ", "u"), **dict.fromkeys("хχ", "x"), **dict.fromkeys("уγ", "y"), "ν": "v", "ԝ": "w",
        "η": "n", "ł": "l", "ø": "o", "đ": "d", "ß": "ss",
    }
)  # fmt: skip
# Leetspeak; 'l', '1', '|' and '!' all fold to 'i', so a listed "l" also matches "1" and "i".
LEET = str.maketrans({"0": "o", "1": "i", "!": "i", "|": "i", "l": "i", "3": "e", "4": "a", "@": "a",
                      "5": "s", "$": "s", "7": "t", "+": "t", "8": "b", "9": "g", "2": "z"})  # fmt: skip


def fold_char(char: str) -> str:
    """The folded letters of one character ('' for spacing and punctuation)."""
    decomposed = unicodedata.normalize("NFKD", char)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c for c in letters.translate(HOMOGLYPHS).translate(LEET) if c.isalpha())


def fold(text: str) -> str:
    return "".join(fold_char(char) for char in text)


@dataclass(frozen=True)
class TermMatch:
    term: str  # as listed
    category: str  # the list it is on
    start: int  # span in the original text
    end: int

    def text_of(self, text: str) -> str:
        return text[self.start : self.end]


class FoldedText:
    """A text folded for matching, with the original position of every folded letter."""

    def __init__(self, text: str) -> None:
        self.text = text
        letters, origins = [], []
        for index, char in enumerate(text):
            folded = fold_char(char)
            letters.append(folded)
            origins += [index] * len(folded)
        self.folded = "".join(letters)
        self.origins = origins

    def _word_edge_before(self, index: int) -> bool:
        return index == 0 or not self._is_word_char(self.text[index - 1])

    def _word_edge_after(self, index: int) -> bool:
        return index >= len(self.text) - 1 or not self._is_word_char(self.text[index + 1])

    @staticmethod
    def _is_word_char(char: str) -> bool:
        return bool(fold_char(char)) or char.isalnum()

    def find(self, folded_term: str, prefix: bool = False) -> Iterable[tuple[int, int]]:
        """Original [start, end) spans where ``folded_term`` occurs between word edges (``prefix``: at a word start)."""
        position = self.folded.find(folded_term)
        while position != -1:
            first, last = self.origins[position], self.origins[position + len(folded_term) - 1]
            if self._word_edge_before(first) and (prefix or self._word_edge_after(last)):
                yield first, last + 1
            position = self.folded.find(folded_term, position + 1)


class TermList:
    """Named lists of terms (protected names per list, prohibited terms per category)."""

    def __init__(self, lists: dict[str, Iterable[str]]) -> None:
        self.terms: list[tuple[str, bool, str, str]] = []  # folded, prefix, as listed, category
        for category, terms in lists.items():
            for term in terms:
                folded = fold(term.removesuffix("*"))
                if len(folded) < 3:
                    raise ValueError(f"term {term!r} in list {category!r} is too short to match safely")
                self.terms.append((folded, term.endswith("*"), term, category))

    @classmethod
    def from_files(cls, files: dict[str, Path]) -> TermList:
        """One term per line; blank lines and lines starting with '#' are skipped."""
        return cls({category: _read_terms(path) for category, path in files.items()})

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str) -> list[TermMatch]:
        folded_text = FoldedText(text)
        matches = [
            TermMatch(term, category, start, end)
            for folded, prefix, term, category in self.terms
            for start, end in folded_text.find(folded, prefix)
        ]
        return sorted(matches, key=lambda match: (match.start, -match.end))


def _read_terms(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]
