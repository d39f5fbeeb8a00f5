"""Spaces RapidOCR dropped, put back: each rule on words it read from rendered lines."""

from __future__ import annotations

import pytest

from modstream_models.spacing import dropped_spaces, with_spaces


@pytest.mark.parametrize(
    ("read", "spaced"),
    [
        # lower-case letters next to digits, "+" or "(": apart
        ("use5175-9221-1669-7288forthis", "use 5175-9221-1669-7288 for this"),
        ("ring+41786691148aftersix", "ring +41786691148 after six"),
        ("ring(375)540-6981", "ring (375)540-6981"),
        ("host30.38.110.229wentdown", "host 30.38.110.229 went down"),
        ("the1st", "the 1st"),  # an ordinal keeps its suffix
        # upper-case codes mix letters and digits on purpose
        ("GB29TWCV25609767017200", "GB29TWCV25609767017200"),
        ("LH1234", "LH1234"),
        # changes of case
        ("ouraccountisFR5017304281465461187755171", "our account is FR5017304281465461187755171"),
        ("askOmar", "ask Omar"),
        ("hisSSNis506433997", "his SSN is 506433997"),  # "SSN is", not "SS Nis"
        ("PDFReader", "PDF Reader"),
        ("IDs", "IDs"),  # a plural
        ("iPhone", "iPhone"),
        # common words run together
        ("Bostonnextweek", "Boston next week"),
        ("Wemeetin", "We meet in"),
        ("Bestwishes,Sam", "Best wishes, Sam"),
        ("Khanabout", "Khan about"),
        # names are kept whole, though a segmentation could cut them
        ("Haddad", "Haddad"),  # not "Had dad"
        ("Lindqvist", "Lindqvist"),
        ("Okafor", "Okafor"),
        # addresses: only an email's domain running into the next word is cut, at a known suffix
        ("mailmeatsam.20@corp.netplease", "mailmeatsam.20@corp.net please"),
        ("jane@uni-hamburg.dewithin", "jane@uni-hamburg.de within"),
        ("jane.doe@example.co.uk", "jane.doe@example.co.uk"),
        ("www.example.org", "www.example.org"),
        ("fe80:1a2b:3c4d:5e6f", "fe80:1a2b:3c4d:5e6f"),  # IPv6 hex is never cut
    ],
)
def test_dropped_spaces_are_put_back(read: str, spaced: str) -> None:
    assert with_spaces(read) == spaced


def test_cuts_are_positions_before_which_a_space_was_dropped() -> None:
    assert dropped_spaces("askOmar") == [3]
    assert dropped_spaces("Omar") == []
