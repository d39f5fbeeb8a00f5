"""IBANs that OCR split or misread, made whole by their country's layout and checked by their checksum."""

from __future__ import annotations

import pytest

from modstream_models.identifiers import checksum_holds, joined_ibans, joined_ssns, layout, repaired


def test_a_countrys_layout_is_read_from_presidios_pattern() -> None:
    assert layout("GB") == "aann" + "a" * 4 + "n" * 14  # GBkk bbbb ssss sscc cccc cc
    assert layout("DE") == "aann" + "n" * 18
    assert layout("XX") is None


def test_the_checksum_is_iso_7064_mod_97() -> None:
    assert checksum_holds("GB82WEST12345698765432")
    assert not checksum_holds("GB82WEST12345698765433")


@pytest.mark.parametrize(
    ("read", "iban"),
    [
        ("GB82WE5T12345698765432", "GB82WEST12345698765432"),  # a digit where the bank code has letters
        ("GB82WESTl2345698765432", "GB82WEST12345698765432"),  # a letter where the account has digits
        ("GB82WEST12345698765432", "GB82WEST12345698765432"),
        ("GB82WEST1234569876543", None),  # one character short
        ("GB82WEST12345698765433", None),  # a wrong digit: the checksum fails
        ("XX82WEST12345698765432", None),  # no such country
    ],
)
def test_look_alikes_are_read_by_the_layout_and_kept_only_when_the_checksum_holds(read: str, iban: str | None) -> None:
    assert repaired(read) == iban


def test_a_zero_where_the_bank_code_has_a_letter_may_be_o_d_or_q() -> None:
    assert repaired("GB62B00C12345698765432") == "GB62BDQC12345698765432"
    # Readings that differ where the checksum cannot tell them apart: a valid IBAN either way, which is all that
    # detection needs ("D" for "O" two letters before "Q" for "O" changes the number by 97 x 1134 x 10^k).
    assert repaired("GB20W0E012345698765433") in {"GB20WDEQ12345698765433", "GB20WOEO12345698765433"}
    assert repaired("GB62B00C12345698765433") is None  # no reading passes


def test_pieces_on_a_line_are_joined_until_they_hold_the_countrys_length() -> None:
    assert joined_ibans(["IBAN:", "DE17-5827", "8802", "9682208195"]) == [(1, 3, "DE17582788029682208195")]
    assert joined_ibans(["IBAN:", "GB10DZVN·7663", "1262", "825366"]) == [(1, 3, "GB10DZVN76631262825366")]
    assert joined_ibans(["is", "Es", "0724087152361092108838"]) == [(1, 2, "ES0724087152361092108838")]  # code apart
    assert joined_ibans(["IBAN:", "E5364507", "4952883143667640"]) == [(1, 2, "ES3645074952883143667640")]  # 5 for S
    assert joined_ibans(["to", "DE89", "3704", "0044", "0532", "0130", "00", "today"]) == [
        (1, 6, "DE89370400440532013000")
    ]


def test_what_ran_into_an_ibans_end_is_kept_apart_from_it() -> None:
    assert joined_ibans(["to", "GB21UD0N54163624677096,ref", "8812"]) == [(1, 1, "GB21UDON54163624677096,ref")]
    assert joined_ibans(["DE33", "57417109", "7825", "3522", "54:ref", "8812"]) == [
        (0, 4, "DE33574171097825352254:ref")
    ]
    assert joined_ibans(["GB45XKYX81086201913274Priya", "Patel"]) == [(0, 0, "GB45XKYX81086201913274 Priya")]
    assert joined_ibans(["GB45XKYX810862019132745"]) is None  # a digit more: a longer number


def test_a_country_code_with_a_digit_for_a_letter_starts_an_iban() -> None:
    iban = "IT60X0542811101000000123456"
    assert joined_ibans(["into", "1" + iban[1:], "by"]) == [(1, 1, iban)]


def test_nothing_changes_where_there_is_no_iban_or_it_is_whole() -> None:
    assert joined_ibans(["DE89370400440532013000"]) is None
    assert joined_ibans(["Order", "DE12", "3456"]) is None  # too short
    assert joined_ibans(["DE89", "3704", "0044", "0532", "0130", "0", "today"]) is None  # one short, then a word


@pytest.mark.parametrize(
    ("line", "joined"),
    [
        (["SSN:", "654", "872841"], [(1, 2, "654-87-2841")]),  # one of two spaces dropped
        (["Social", "Security", "No.", "13073", "4561"], [(3, 4, "130-73-4561")]),
        (["SSN", "654", "87", "2841"], [(1, 3, "654-87-2841")]),
        (["SSN", "20933", "7196."], [(1, 2, "209-33-7196.")]),  # the sentence ends after it
        (["SSN", "209.", "337196"], None),  # a full stop ends the number
        (["SSN:", "654-87-2841"], None),  # already whole
        (["order", "654", "872841"], None),  # nine digits, but nothing on the line says they are an SSN
        (["my", "SSN", "and", "+31", "6", "16271442"], None),  # a phone number: ten digits after the "+"
    ],
)
def test_an_ssn_in_groups_of_other_sizes_is_joined_on_a_line_that_names_it(
    line: list[str], joined: list[tuple[int, int, str]] | None
) -> None:
    assert joined_ssns(line) == joined
