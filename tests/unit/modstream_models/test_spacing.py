"""Spaces RapidOCR dropped, put back: each rule on words it read from rendered lines."""

from __future__ import annotations

import pytest

from modstream_models.spacing import dropped_spaces, is_common_word_with_a_letter_doubled, with_spaces


@pytest.mark.parametrize(
    ("read", "spaced"),
    [
        # lower-case letters next to digits, "+" or "(": apart
        ("use5175-9221-1669-7288forthis", "use 5175-9221-1669-7288 for this"),
        ("ring+41786691148aftersix", "ring +41786691148 after six"),
        ("ring(375)540-6981", "ring (375)540-6981"),
        ("host30.38.110.229wentdown", "host 30.38.110.229 went down"),
        ("the1st", "the 1st"),  # an ordinal keeps its suffix
        ("01797 0250(social", "01797 0250 (social"),  # a bracketed word after a number
        ("SSN(last verified)49752", "SSN (last verified) 49752"),  # ... or a word, and what follows it
        ("(555)123-4567", "(555)123-4567"),
        # upper-case codes mix letters and digits on purpose
        ("GB29TWCV25609767017200", "GB29TWCV25609767017200"),
        ("LH1234", "LH1234"),
        # ... except after a label that opens the word and introduces a number or an IBAN
        ("SSN553-05-8007.", "SSN 553-05-8007."),
        ("SSN#332686294", "SSN# 332686294"),
        ("hostel5", "hostel 5"),
        ("ID774", "ID 774"),
        ("TaxpayerID237078519", "Taxpayer ID 237078519"),
        ("BeneficiaryIBANIT57R2731841061677220121691", "Beneficiary IBAN IT57R2731841061677220121691"),
        ("Sec.#570274345", "Sec.# 570274345"),
        ("IP77.105.33.137", "IP 77.105.33.137"),
        ("Tel.301.719.7408", "Tel. 301.719.7408"),
        ("Fax+4930123456", "Fax +4930123456"),
        ("IBANGB90UHWZ00250555357229", "IBAN GB90UHWZ00250555357229"),
        ("NO9386011117947", "NO9386011117947"),  # Norway's IBAN, not the label "No."
        ("IDEA", "IDEA"),
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
        # addresses: an email's domain running into the next word is cut, at a known suffix
        ("mailmeatsam.20@corp.netplease", "mailmeat sam.20@corp.net please"),
        # ... and the words that lead into it, at the shortest lead-in that leaves three characters
        ("Questions?Writetolucas+news@startup.io.", "Questions? Writeto lucas+news@startup.io."),
        ("WritetoOmar.Khan@post.example.de", "Writeto Omar.Khan@post.example.de"),
        ("Writetop.ortega@web.de", "Writeto p.ortega@web.de"),
        ("Sentfromzahraf@startup.io", "Sentfrom zahraf@startup.io"),
        ("oremailtomberg53@web.de", "oremail tomberg53@web.de"),  # not "or email to" + "mberg53"
        ("Emailtom.berg_1@corp.net", "Email tom.berg_1@corp.net"),
        ("mailroom@corp.net", "mailroom@corp.net"),  # one word alone leads in only capitalised
        ("Contact@corp.net", "Contact@corp.net"),
        ("tome@corp.net", "tome@corp.net"),  # "me" introduces no address
        ("Emailjo@corp.net", "Emailjo@corp.net"),  # a local part of three characters at least
        ("jane@uni-hamburg.dewithin", "jane@uni-hamburg.de within"),
        ("jane.doe@example.co.uk", "jane.doe@example.co.uk"),
        ("www.example.org", "www.example.org"),
        ("fe80:1a2b:3c4d:5e6f", "fe80:1a2b:3c4d:5e6f"),  # IPv6 hex is never cut
        # ... but words run into an IPv6 address are cut off it, at most four hex digits a group
        ("hostb091:489f:eb6:fce:1553:46dc:15d5:22bawentdown", "host b091:489f:eb6:fce:1553:46dc:15d5:22ba went down"),
        (
            "trafficcamefrom8fc5:69b3:c6d4:ed86:115f:675:cc4c:df80",
            "traffic came from 8fc5:69b3:c6d4:ed86:115f:675:cc4c:df80",
        ),
        ("IP:aa18:34a:a58a:4a6c", "IP: aa18:34a:a58a:4a6c"),
        # a label's colon run into its value, where the label has a letter that is no hex digit
        ("Name:Jane", "Name: Jane"),
        ("SSN:892-16-2114", "SSN: 892-16-2114"),
        ("Contact:li.2@corp.net", "Contact: li.2@corp.net"),
        ("12:30", "12:30"),
        ("http://example.org", "http://example.org"),
        # a capitalised word after a full stop
        ("wishes.Jane", "wishes. Jane"),
        ("us!Receipt", "us! Receipt"),
        ("Jane.Doe@Example.com", "Jane.Doe@Example.com"),  # not inside an address
        # very common words off the end of a name, which stays whole
        ("Patelaboutit", "Patel about it"),
        ("Doeaboutit", "Doe about it"),
        ("ssnonrecord", "ssnonrecord"),  # lower case: no name to keep whole, and "s s non record" is wrong
        ("Greenwood", "Greenwood"),  # one common word is not enough
    ],
)
def test_dropped_spaces_are_put_back(read: str, spaced: str) -> None:
    assert with_spaces(read) == spaced


def test_cuts_are_positions_before_which_a_space_was_dropped() -> None:
    assert dropped_spaces("askOmar") == [3]
    assert dropped_spaces("Omar") == []


@pytest.mark.parametrize(
    ("word", "misread"),
    [
        ("Tiicket", True),  # "Ticket" with its thin "i" read twice
        ("Cruisse", True),
        ("Deliverry", True),
        ("Ticket", False),  # a common word itself
        ("Okafor", False),  # no common word, however read
        ("Hamburg", False),
        ("Dila", False),  # a letter less ("Dia") does not count, only a doubled one
    ],
)
def test_a_common_word_read_with_a_letter_doubled_is_told(word: str, misread: bool) -> None:
    assert is_common_word_with_a_letter_doubled(word) is misread
