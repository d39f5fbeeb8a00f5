"""The OCR engines' word tables: words cut from RapidOCR's character boxes, split addresses re-joined, the
detector's boxes joined into text lines."""

from __future__ import annotations

import numpy as np
import pytest

from modstream_models.ocr import (
    Character,
    RapidOcr,
    digit_group_cuts,
    email_domain_repaired,
    join_identifiers,
    join_split_addresses,
    normalise_word,
    ocr_engine,
    text_by_lines,
    text_line_numbers,
    widened_quad,
    with_border,
    with_spaces_at,
    words_of_line,
)
from tests.images import render_text


def characters(text: str, width: float = 10.0, gaps: dict[int, float] | None = None) -> list[Character]:
    """One character box per letter of ``text``, ``width`` wide, with an extra gap before the given indexes."""
    found, left = [], 0.0
    for index, letter in enumerate(text):
        left += (gaps or {}).get(index, 0.0)
        found.append(Character(letter, (left, 5.0, left + width, 25.0), 0.9 if letter != "O" else 0.5))
        left += width
    return found


def test_words_are_split_at_the_spaces_read_and_boxed_around_their_characters() -> None:
    words = words_of_line(characters("4111  1O11", gaps={2: 3.0}))
    assert [(text, score) for text, _, score in words] == [("4111", 0.9), ("1O11", 0.5)]
    assert words[1][1] == (63.0, 5.0, 103.0, 25.0)


def test_a_word_read_without_its_spaces_is_cut_and_each_part_boxed_around_its_own_characters() -> None:
    words = words_of_line(characters("use4111forthis"))
    assert [text for text, _, _ in words] == ["use", "4111", "for", "this"]
    assert [box[0] for _, box, _ in words] == [0.0, 30.0, 70.0, 100.0]
    assert words[1][1] == (30.0, 5.0, 70.0, 25.0)


def quad(left: float, top: float, width: float, height: float, degrees: float = 0.0) -> np.ndarray:
    """A detected box's corners (top left, top right, bottom right, bottom left), turned about its top left."""
    theta = np.deg2rad(degrees)
    along, down = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
    origin = np.array([left, top])
    return np.array([origin, origin + width * along, origin + width * along + height * down, origin + height * down])


def test_boxes_the_detector_split_one_line_into_are_one_text_line_again() -> None:
    # "IBAN: D" | "DE1347063812" | "0665" on one line, the next line below, a far column apart; lines are
    # numbered from the top
    boxes = [quad(10, 10, 70, 20), quad(120, 11, 140, 20), quad(270, 10, 50, 20), quad(10, 45, 200, 20),
             quad(600, 10, 60, 20)]  # fmt: skip
    assert text_line_numbers(boxes) == [0, 0, 0, 2, 1]


def test_a_turned_line_split_in_two_stays_one_line_and_does_not_take_the_next() -> None:
    first = quad(10, 10, 200, 20, degrees=10)
    end = first[1]  # the next box starts a word's gap further along the turned line
    second = quad(end[0] + 20 * np.cos(np.deg2rad(10)), end[1] + 20 * np.sin(np.deg2rad(10)), 100, 20, degrees=10)
    below = quad(10 - 30 * np.sin(np.deg2rad(10)), 10 + 30 * np.cos(np.deg2rad(10)), 300, 20, degrees=10)
    assert text_line_numbers([first, second, below]) == [0, 0, 1]
    assert text_line_numbers([]) == []


def test_a_line_of_spaces_has_no_words() -> None:
    assert words_of_line(characters("   ")) == []


def table(*words: tuple[str, int]) -> dict[str, list]:
    """A Tesseract-style word table: (text, line number) per word, boxes 10 px apart on a row."""
    return {
        "text": [text for text, _ in words],
        "left": [20 * i for i in range(len(words))],
        "top": [0] * len(words),
        "width": [10] * len(words),
        "height": [12] * len(words),
        "conf": [90.0] * len(words),
        "block_num": [1] * len(words),
        "par_num": [1] * len(words),
        "line_num": [line for _, line in words],
    }


def test_an_address_split_at_the_at_sign_is_joined_on_its_line_only() -> None:
    joined = join_split_addresses(table(("mail", 1), ("jane", 1), ("@example.com", 1), ("", 1), (".org", 2)))
    assert joined["text"] == ["mail", "jane@example.com", ".org"]
    assert joined["left"][1] == 20 and joined["width"][1] == 30


def test_an_email_address_split_inside_its_domain_is_joined() -> None:
    words = table(("Sofia.Rossi@po", 1), ("st.example.de", 1), ("jane@corp", 2), ("today", 2), ("li@x", 3), ("5.50", 3))
    joined = join_split_addresses(words)
    assert joined["text"] == ["Sofia.Rossi@post.example.de", "jane@corp", "today", "li@x", "5.50"]


def test_an_ipv6_address_split_after_a_colon_is_joined() -> None:
    joined = join_split_addresses(table(("IP:", 1), ("9a31:4ffc:d931:", 1), ("76f8:cf84", 1), ("at:", 1), ("noon", 1)))
    assert joined["text"] == ["IP:", "9a31:4ffc:d931:76f8:cf84", "at:", "noon"]


def test_a_sentence_ending_before_a_capitalised_word_is_no_split_address() -> None:
    joined = join_split_addresses(table(("Best", 1), ("wishes.", 1), ("Jane", 1), ("jane.", 1), ("doe@x.org", 1)))
    assert joined["text"] == ["Best", "wishes.", "Jane", "jane.doe@x.org"]


def test_an_abbreviation_before_a_number_is_no_split_address() -> None:
    words = table(
        ("No.", 1), ("217", 1), ("Tel.", 2), ("+1", 2), ("jane.", 3), ("99@x.org", 3), ("10.0.", 4), ("1.1", 4)
    )
    joined = join_split_addresses(words)
    assert joined["text"] == ["No.", "217", "Tel.", "+1", "jane.99@x.org", "10.0.1.1"]


def test_an_iban_in_pieces_of_any_size_is_one_word_with_its_boxes_joined() -> None:
    line = table(("IBAN:", 1), ("DE480565", 1), ("61624615", 1), ("588471", 1), ("today", 1), ("x", 2))
    joined = join_identifiers(line)
    assert joined["text"] == ["IBAN:", "DE48056561624615588471", "today", "x"]
    assert joined["left"][1] == 20 and joined["width"][1] == 50  # from the first piece's left to the last's right


def test_a_zero_between_lower_case_letters_is_read_as_o() -> None:
    assert [text for text, _, _ in words_of_line(characters("Ph0ne:+1525-777-5135"))] == ["Phone:", "+1525-777-5135"]
    assert [text for text, _, _ in words_of_line(characters("is0nfile"))] == ["is", "on", "file"]
    assert [text for text, _, _ in words_of_line(characters("n0"))] == ["n", "0"]  # not between two letters


@pytest.mark.parametrize(
    ("first", "second", "spaced"),
    [
        ("Enter535015466toconfirm", "Enter 535 01 5466 to confirm", "Enter535 01 5466toconfirm"),  # digits only
        ("SSN 700495019.", "SSN 700 49 5019.", "SSN 700 49 5019."),
        ("Ref 535015466", "Ref 535 01 5465", "Ref 535015466"),  # the readings disagree on a digit
        ("Call +61419554042", "Call +61 419 554 042", "Call +61419554042"),  # after "+": left alone
        ("Order 4455223188", "Order 4455 2 231 88", "Order 4455223188"),  # a one-digit group
        ("Card 4111 11111111 1111", "Card 4111 1111 1111 1111", "Card 4111 1111 1111 1111"),
    ],
)
def test_a_second_reading_gives_the_first_its_spaces_between_digit_groups(first: str, second: str, spaced: str) -> None:
    read = characters(first)
    assert "".join(c.text for c in with_spaces_at(read, digit_group_cuts(read, second))) == spaced


def test_a_space_put_back_has_the_box_of_the_character_after_it() -> None:
    read = characters("12345")
    spaced = with_spaces_at(read, {2})
    assert [c.text for c in spaced] == ["1", "2", " ", "3", "4", "5"]
    assert spaced[2].box == read[2].box


def test_a_box_is_widened_along_its_own_axes_by_a_share_of_its_height() -> None:
    box = np.array([[10, 20], [110, 20], [110, 40], [10, 40]], dtype=np.float32)
    assert widened_quad(box, 0.5).tolist() == [[0, 10], [120, 10], [120, 50], [0, 50]]
    turned = np.array([[0, 0], [100, 100], [90, 110], [-10, 10]], dtype=np.float32)  # 45 degrees
    widened = widened_quad(turned, 0.5)
    assert np.allclose(np.linalg.norm(widened[3] - widened[0]), 2 * np.linalg.norm(turned[3] - turned[0]))


def test_the_border_has_the_median_colour_of_the_edge_and_keeps_the_image_inside() -> None:
    image = np.full((20, 30, 3), 240, dtype=np.uint8)
    image[5:15, 25:30] = 10  # a letter cut by the right edge: not repeated into the border
    bordered = with_border(image, 4)
    assert bordered.shape == (28, 38, 3)
    assert (bordered[:4] == 240).all() and (bordered[:, -4:] == 240).all()
    assert (bordered[4:24, 4:34] == image).all()
    assert with_border(image[..., 0], 2).shape == (24, 34)


def test_rapidocr_keeps_the_spaces_between_printed_digit_groups() -> None:
    # at 24 px RapidOCR's first reading of these lines is "535015466", "206424832" and "SSN700495019"
    image = render_text(["Enter 535 01 5466 to confirm", "Account 206 42 4832", "SSN 700 49 5019"], height=24)
    words = RapidOcr().perform_ocr(image)["text"]
    assert words[1:4] == ["535", "01", "5466"] and words[7:10] == ["206", "42", "4832"]
    assert "700-49-5019" in words  # the groups named by "SSN", joined as one number


def test_rapidocr_runs_without_the_angle_classifier_at_the_images_own_size() -> None:
    assert RapidOcr().engine.use_cls is False


def test_an_unknown_engine_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="rapidocr, tesseract"):
        ocr_engine("easyocr")


def test_rapidocr_reads_rendered_lines_with_their_boxes() -> None:
    image = render_text(["Email: jane.doe@example.com", "Phone: +1 212-555-0143"], height=16)
    words = RapidOcr().perform_ocr(image)
    (email,) = [i for i, text in enumerate(words["text"]) if "jane.doe@example.com" in text]
    (phone,) = [i for i, text in enumerate(words["text"]) if "212-555-0143" in text]
    assert words["line_num"][email] < words["line_num"][phone]
    assert words["top"][email] + words["height"][email] <= words["top"][phone]
    assert words["left"][email] >= 0 and words["left"][email] + words["width"][email] <= image.width
    assert all(0 < conf <= 100 for conf in words["conf"])


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("LI.WEI@X.10", "LI.WEI@X.IO"),  # digits for the letters of a top-level domain, in the address's case
        ("maria@x.1o", "maria@x.io"),
        ("emma48110@example.0rg.", "emma48110@example.org."),
        ("a@b.c0m)", "a@b.com)"),
        ("liwei@xio", "liwei@x.io"),  # the dot before it dropped: the longest ending that is one
        ("jane@examplecom", "jane@example.com"),
        ("jane@corp.net", "jane@corp.net"),
        ("price@2.50", "price@2.50"),  # no domain
        ("x@mail.rg", "x@mail.rg"),  # no digit to read as a letter, no dot dropped
    ],
)
def test_an_email_addresss_top_level_domain_is_made_whole(read: str, repaired: str) -> None:
    assert email_domain_repaired(read) == repaired


@pytest.mark.parametrize(
    ("read", "normalised"),
    [
        ("Phone:+1642-396-5873", "Phone: +1 642-396-5873"),  # label and country code run into the number
        ("+1(212)555-0143", "+1 (212)555-0143"),
        ("+1 212-555-0143", "+1 212-555-0143"),  # already apart
        ("Card:4O87317643O39213", "Card: 4087317643039213"),  # O read for 0 inside a digit run
        ("1l11-5S55", "1111-5555"),
        ("12:30", "12:30"),  # a time keeps its colon
        ("http://example.org", "http://example.org"),
        ("Order:SB-12", "Order: SB-12"),  # too few digits for S and B to be misread digits
        ("BOSS", "BOSS"),
        ("Name:OmarKhan", "Name: Omar Khan"),  # label, and two capitalised words run together
        ("McDonald", "Mc Donald"),
        ("Jane.Doe@Example.com", "Jane.Doe@Example.com"),  # never inside an address
        ("fe80::1", "fe80::1"),
        ("IP:aa18:34a:a58a:4a6c", "IP: aa18:34a:a58a:4a6c"),  # a label run into an IPv6 address
        ("dead:beef:cafe:f00d", "dead:beef:cafe:f00d"),  # hex letters are no label
        ("3445:eb83:c8af:57ae:621f:f341:2fac:460a", "3445:eb83:c8af:57ae:621f:f341:2fac:460a"),  # "af:5" is no label
        ("f.zahra(@mail.co.uk", "f.zahra@mail.co.uk"),  # the "@" of an address read as another glyph
        ("jane©corp.net", "jane@corp.net"),
        ("raj(a)mail.in", "raj@mail.in"),
        ("price(a)", "price(a)"),  # no domain after it
        ("C©2024", "C©2024"),
        ("joe@mail.com(a)b.org", "joe@mail.com(a)b.org"),  # an address has one "@"
    ],
)
def test_words_are_normalised_for_the_analyzer(read: str, normalised: str) -> None:
    assert normalise_word(read) == normalised


def test_the_analyzer_reads_one_line_per_text_line_with_one_character_between_words() -> None:
    words = table(("Name:", 1), ("Li", 1), ("Wei", 1), ("Phone:", 2), ("+1", 2))
    assert text_by_lines(words) == "Name: Li Wei\nPhone: +1"
    assert text_by_lines({"text": []}) == ""
