"""IBANs (and US social security numbers) that OCR split or misread, made whole again before the analyzer reads
them.

An IBAN printed in groups of four comes back from OCR in pieces of any size ("DE480565 61624615 588471",
"DE17-5827 8802 9682208195", "GB10DZVN·7663 1262 825366"), and with letters and digits mistaken for one
another where they look alike ("GB25WTG0..." for the bank code WTGO, "GB60JRW8..." for JRWB, "E543..." for
ES43...), with the country code apart from the rest ("Es 0724 0871..."). Presidio's
recognizer wants groups of three to five and a valid checksum, so it finds neither.

Each country's IBAN has a fixed length and a fixed letter/digit layout (ISO 13616; Presidio's
``regex_per_country`` spells it out). Starting at a country code and two check digits, the pieces on one
line are taken until they hold exactly that many characters; a letter where the layout wants a digit (or the
other way round) is read as its look-alike; and the result is kept only when the ISO 7064 mod-97 checksum
holds. A "0" or "1" where the layout wants a letter may be one of several (O, D or Q; I or L), so up to nine
readings of a candidate are tried, the likeliest first; a wrong reading passes the check about once in 97 tries.
What OCR ran into the IBAN's end is kept apart from it unless it is a digit ("...7096,ref", "...274Priya";
"...2740" is a longer number, not an IBAN).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import cache
from itertools import product

from presidio_analyzer.predefined_recognizers.generic.iban_patterns import regex_per_country

# Look-alikes, where the layout asks for the other kind of character; a "0" or "1" where a letter belongs may be
# any of several, the likeliest first.
LETTERS_FOR_DIGIT = {"0": "ODQ", "1": "IL", "2": "Z", "5": "S", "6": "G", "8": "B"}
LETTER_FOR_DIGIT = {digit: letters[0] for digit, letters in LETTERS_FOR_DIGIT.items()}
MAX_READINGS = 9  # readings of one candidate tried against the checksum, at most
DIGIT_FOR_LETTER = {
    "O": "0",
    "o": "0",
    "D": "0",
    "Q": "0",
    "I": "1",
    "L": "1",
    "l": "1",
    "Z": "2",
    "S": "5",
    "G": "6",
    "B": "8",
}
SEPARATORS = " -·.‧•"
# A country code, maybe misread ("E5", "Es", "1T"; not two digits: a long number is no IBAN), then two check digits
# or the end of the word ("Es" | "0724...").
_START = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9]|[012568][A-Z])(?:[0-9ODQILZSGB]{2}|$)")
# One part of Presidio's per-country pattern: the country code, the check digits, or a run of one kind of
# character ("[A-Z][ ]?", "([0-9][ ]?){4}", "([a-zA-Z0-9][ ]?){3}").
_PART = re.compile(
    r"\((?P<country>[A-Z]{2})\)|\[0-9\]\{2\}\[ \]\?|\(?(?P<kind>\[[^\]]+\])\[ \]\?\)?(?:\{(?P<count>\d+)\})?"
)
_KINDS = {"[A-Z]": "a", "[0-9]": "n", "[a-zA-Z0-9]": "c"}
# A word after the first that may hold more of an IBAN: capitals and digits, maybe followed by what the line goes on
# with after the IBAN, run into it ("54:ref", "912(EUR").
_CONTINUES = re.compile(r"[A-Z0-9]+(?:[^A-Za-z0-9].*)?")


@cache
def layout(country: str) -> str | None:
    """The country's IBAN as one letter per character ("a" letter, "n" digit, "c" either), or None where
    the country has no IBAN (or a pattern this reader does not follow)."""
    pattern = regex_per_country.get(country)
    if pattern is None:
        return None
    kinds, position = [], 0
    for part in _PART.finditer(pattern):
        if part.start() != position:
            return None
        position = part.end()
        if part.group("country"):
            kinds.append("aa")
        elif part.group("kind") is None:
            kinds.append("nn")
        elif part.group("kind") in _KINDS:
            kinds.append(_KINDS[part.group("kind")] * int(part.group("count") or 1))
        else:
            return None
    return "".join(kinds) if position == len(pattern) else None


def checksum_holds(iban: str) -> bool:
    """ISO 7064 mod 97-10, as IBANs use it: the country and check digits moved to the end, letters as 10-35."""
    rearranged = iban[4:] + iban[:4]
    return rearranged.isalnum() and int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def repaired(candidate: str) -> str | None:
    """``candidate`` (separators removed) as a valid IBAN after reading look-alikes by its country's layout,
    or None."""
    kinds = layout(candidate[:2])
    if kinds is None or len(candidate) != len(kinds):
        return None
    choices = []
    for character, kind in zip(candidate, kinds, strict=True):
        if kind == "n" and not character.isdigit():
            choices.append(DIGIT_FOR_LETTER.get(character, character))
        elif kind == "a" and not character.isalpha():
            choices.append(LETTERS_FOR_DIGIT.get(character, character))
        else:
            choices.append(character)
    if math.prod(map(len, choices)) > MAX_READINGS:
        choices = [choice[0] for choice in choices]
    for reading in product(*choices):
        iban = "".join(reading)
        if checksum_holds(iban) and re.fullmatch(regex_per_country[iban[:2]], iban):
            return iban
    return None


def joined_ibans(texts: Sequence[str]) -> list[tuple[int, int, str]] | None:
    """Where IBANs start in the words of one line (``texts``), the words they span and what they read as
    one valid IBAN: (first word, last word, the first word's text with the IBAN whole). None when nothing
    changes."""
    found: list[tuple[int, int, str]] = []
    index = 0
    while index < len(texts):
        match = _START.search(texts[index])
        span = _iban_from(texts, index, match.start()) if match else None
        if span is None:
            index += 1
            continue
        last, text = span
        if last > index or text != texts[index]:
            found.append((index, last, text))
        index = last + 1
    return found or None


def _country(read: str) -> str:
    return "".join(LETTER_FOR_DIGIT.get(character, character) for character in read.upper())


def _iban_from(texts: Sequence[str], first: int, start: int) -> tuple[int, str] | None:
    country = _country(texts[first][start : start + 2])
    kinds = layout(country)
    if kinds is None:
        return None
    taken = country
    for last in range(first, len(texts)):
        word = texts[last][start + 2 :] if last == first else texts[last]
        compact = "".join(c for c in word if c not in SEPARATORS)
        if last > first and not _CONTINUES.fullmatch(compact):
            return None  # the next word is not part of it ("today")
        taken += compact
        if len(taken) >= len(kinds):
            tail = taken[len(kinds) :]
            iban = None if tail[:1].isdigit() else repaired(taken[: len(kinds)])
            return (last, texts[first][:start] + iban + (" " if tail[:1].isalpha() else "") + tail) if iban else None
    return None


SSN_CONTEXT = ("ssn", "social", "security")


def joined_ssns(texts: Sequence[str]) -> list[tuple[int, int, str]] | None:
    """Where a US social security number printed in groups ("654 87 2841") came back from OCR in groups of other
    sizes ("654 872841", "13073 4561"), on a line that names it: (first word, last word, the number as
    ddd-dd-dddd). Without the context word nine digits are anything; with it they are what the line says."""
    if not any(word in text.lower() for text in texts for word in SSN_CONTEXT):
        return None
    found: list[tuple[int, int, str]] = []
    index = 0
    while index < len(texts):
        digits, last, punctuation = "", index, ""
        while last < len(texts) and not punctuation and len(digits) < 9:
            number = texts[last].rstrip(".,;:)")  # a sentence may end after it ("SSN 20933 7196.")
            if not number.isdigit():
                break
            digits, punctuation = digits + number, texts[last][len(number) :]
            last += 1
        after_number = index > 0 and any(c.isdigit() for c in texts[index - 1])  # "+31 6 16271442": a phone
        if (
            len(digits) == 9
            and last - index >= 2
            and not after_number
            and (last == len(texts) or not texts[last][:1].isdigit())
        ):
            found.append((index, last - 1, f"{digits[:3]}-{digits[3:5]}-{digits[5:]}{punctuation}"))
            index = last
        else:
            index += 1
    return found or None
