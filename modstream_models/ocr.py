"""OCR engines for the PII detector, behind presidio-image-redactor's ``OCR`` interface.

Every engine answers ``perform_ocr`` with Tesseract's word table (``text``, ``left``, ``top``, ``width``,
``height``, ``conf``, ``block_num``, ``par_num``, ``line_num``), which Presidio's ``ImageAnalyzerEngine``
maps entity offsets back to boxes with:

- ``tesseract``: Tesseract 5 (Debian's ``tesseract-ocr``), on the image enlarged 2x (it misses text
  under about 20 px).
- ``rapidocr``: PP-OCRv4 text detection, angle classification and recognition on onnxruntime, the
  models shipped inside the ``rapidocr-onnxruntime`` wheel (nothing is downloaded). It reads text lines
  with a box per character; a word's box is the box around its characters. Its recogniser often drops
  the space between two Latin words ("wireittoDE7145...today"), and its character boxes do not show where
  (they are spaced evenly by the decoder): ``modstream_models.spacing`` puts those spaces back from the
  text itself, and a word's box is then the box around its own characters.

Both re-join what they split inside an address at ``@`` or ``.`` (``join_split_addresses``), and their words
are normalised before the analyzer reads them (``normalise_word``).
"""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from importlib.metadata import version
from itertools import pairwise, product
from typing import Any

import numpy as np
from PIL import Image
from presidio_image_redactor import OCR, ImagePreprocessor, TesseractOCR

from modstream_models.deskew import SMALLEST_CORRECTED, boxes_back, levelled, skew_angle
from modstream_models.identifiers import joined_ibans, joined_ssns
from modstream_models.spacing import IPV6_LIKE, dropped_spaces, has_public_suffix

# Tesseract's OpenMP threads contend with each other on images this small: one thread per call reads a
# 640x400 image about a quarter faster on 2 cores (518 against 673 ms p50), and Triton runs calls side by side.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
WORD_FIELDS = ("text", "left", "top", "width", "height", "conf", "block_num", "par_num", "line_num")
JOINERS = ("@", ".")
# An IPv6 address split after one of its colons ("fecf:" | "76f8:cf84"): re-joined like an address at "@"
_IPV6_HEAD = re.compile(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){2,}:$")
_HEX_START = re.compile(r"[0-9A-Fa-f]{1,4}(?::|$)")
# An email address split inside its domain's first label ("Sofia.Rossi@po" | "st.example.de", "fatima@i" |
# "cloud.com"): a word ending in "@" and letters, then a word that ends the domain in a dot and letters.
_DOMAIN_HEAD = re.compile(r"[\w.%+-]@[A-Za-z0-9-]+$")
_DOMAIN_TAIL = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}[.,;:)>]*")


class UpscaleForOcr(ImagePreprocessor):
    """Enlarges images before OCR by ``factor`` (at most to ``max_side``); Presidio scales the word boxes back
    by the ``scale_factor`` this returns."""

    def __init__(self, factor: float = 2.0, max_side: int = 4000) -> None:
        super().__init__(use_greyscale=False)
        self.factor = factor
        self.max_side = max_side

    def preprocess_image(self, image: Image.Image) -> tuple[Image.Image, dict]:
        factor = min(self.factor, self.max_side / max(image.size))
        if factor <= 1.0:
            return image, {}
        size = (round(image.width * factor), round(image.height * factor))
        return image.resize(size, Image.Resampling.LANCZOS), {"scale_factor": factor}


def join_split_addresses(words: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The word table without empty words, and with neighbouring words of one line joined where the first ends
    or the second starts with '@' or '.' ("jane @mail.org", "jane.doe@ example.com"), an email address was split
    inside its domain ("jane@exa" | "mple.com"), or an IPv6 address was split after a colon ("fe80:1:2a:" |
    "76f8"): those splits break email, URL and IP recognition."""
    merged: list[int] = []
    for index in (i for i, text in enumerate(words["text"]) if str(text).strip()):
        if merged and _continues(words, merged[-1], index):
            _absorb(words, merged[-1], index)
        else:
            merged.append(index)
    return {key: [values[i] for i in merged] for key, values in words.items()}


def _continues(words: dict[str, list[Any]], previous: int, current: int) -> bool:
    same_line = all(words[key][previous] == words[key][current] for key in ("block_num", "par_num", "line_num"))
    left, right = words["text"][previous], words["text"][current]
    split_ipv6 = _IPV6_HEAD.search(left) is not None and _HEX_START.match(right) is not None
    split_domain = _DOMAIN_HEAD.search(left) is not None and _DOMAIN_TAIL.fullmatch(right) is not None
    sentence_ends = left.endswith(".") and right[:2].istitle()  # "wishes." | "Jane": not an address
    # "No." | "217 06 0835", "Tel." | "+1": an abbreviation before a number, not an address
    abbreviation = left.endswith(".") and left[:-1].isalpha() and right[:1] in "0123456789+(" and "@" not in right
    return (
        same_line
        and not sentence_ends
        and not abbreviation
        and (left.endswith(JOINERS) or right.startswith(JOINERS) or split_ipv6 or split_domain)
    )


def _absorb(words: dict[str, list[Any]], target: int, source: int) -> None:
    right = max(words["left"][target] + words["width"][target], words["left"][source] + words["width"][source])
    bottom = max(words["top"][target] + words["height"][target], words["top"][source] + words["height"][source])
    words["left"][target] = min(words["left"][target], words["left"][source])
    words["top"][target] = min(words["top"][target], words["top"][source])
    words["width"][target] = right - words["left"][target]
    words["height"][target] = bottom - words["top"][target]
    words["text"][target] += words["text"][source]
    words["conf"][target] = min(float(words["conf"][target]), float(words["conf"][source]))


# A label run into its value ("Phone:+1 642", "Card:4087", "Name:Omar", "IP:aa18:34a:..."): a space after the
# colon, not inside times ("12:30") or addresses ("http://", "fe80::1", "dead:beef:cafe:...": hex letters only).
_LABEL_COLON = re.compile(
    r"(?<=[A-Za-z]{2}):(?=[+(\dA-Z])|(?<=[G-Zg-z][A-Za-z]|[A-Za-z][G-Zg-z]):(?=[0-9a-f]{1,4}:[0-9a-f]{1,4}:)"
)
# Two capitalised words run together ("OmarKhan"): the space OCR dropped between them, restored outside addresses.
_RUN_TOGETHER_NAMES = re.compile(r"\b([A-Z][a-z]+)(?=[A-Z][a-z]+\b)")
# "+1" run into a ten-digit North American number ("+1642-396-5873"): phonenumbers' matcher takes it only
# with the country code apart.
_NANP_COUNTRY_CODE = re.compile(r"(?<![\d+])\+1(?=\(?\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}(?!\d))")
# Glyphs OCR reads for the "@" of an email address ("f.zahra(@mail.co.uk", "jane©corp.net", "raj(a)mail.in"), between
# a local part and a domain that ends in a dot and letters; only where the word has no "@" of its own.
_AT_LOOKALIKE = re.compile(
    r"(?<=[\w.%+-])(?:\(@\)|\(@|@\)|\(a\)|[©®])(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)"
)
# Letters OCR reads for digits, replaced only inside runs that are mostly digits ("4O87 3l76" -> "4087 3176").
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
_DIGITISH_RUN = re.compile(r"[\dOoDlI|SB][\dOoDlI|SB\- ./]{5,}[\dOoDlI|SB]")


def _digits_restored(run: re.Match[str]) -> str:
    text = run.group()
    digits = sum(character.isdigit() for character in text)
    letters = sum(character.isalpha() or character == "|" for character in text)
    return text.translate(_DIGIT_LOOKALIKES) if digits >= 4 and digits >= 3 * letters else text


# An email address's domain at the end of a word (what follows it: a sentence's or a bracket's end).
_EMAIL_DOMAIN_END = re.compile(r"(?<=@)(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?P<after>[.,;:)>]*)$")
# Letters OCR reads as digits in a top-level domain, where no digit belongs ("x.10", "example.0rg", "X.1O").
_TLD_LETTERS = {"0": "o", "1": "il", "5": "s", "6": "g", "8": "b"}
_LONGEST_TLD_JOINED = 4  # letters of a top-level domain whose dot OCR dropped ("liwei@xio"), at most


def email_domain_repaired(text: str) -> str:
    """A word ending in an email address with its top-level domain made whole where OCR read letters of it as
    digits ("li.wei@x.10" -> "li.wei@x.io") or dropped the dot before it ("liwei@xio" -> "liwei@x.io"), when that
    gives a public suffix (tldextract's snapshot); the word unchanged otherwise."""
    match = _EMAIL_DOMAIN_END.search(text)
    if match is None:
        return text
    domain = match.group("domain")
    if "." in domain:
        head, tld = domain.rsplit(".", 1)
        if not any(character.isdigit() for character in tld) or not any(character.isalpha() for character in head):
            return text  # a whole domain, or no domain at all ("price@2.50")
        upper = tld.upper() == tld and head.upper() == head
        choices = [_TLD_LETTERS.get(character, character) for character in tld]
        candidates = ["".join(letters) for letters in product(*choices)]
        repaired = [f"{head}.{c.upper() if upper else c}" for c in candidates if c.isalpha()]
    else:  # the dot dropped: the longest ending that is a top-level domain
        lengths = range(min(_LONGEST_TLD_JOINED, len(domain) - 1), 1, -1)
        repaired = [f"{domain[:-length]}.{domain[-length:]}" for length in lengths]
    found = next((candidate for candidate in repaired if has_public_suffix(candidate)), None)
    return text if found is None else text[: match.start()] + found + match.group("after")


def normalise_word(text: str) -> str:
    """One OCR word as the analyzer should read it: labels apart from their values (not the colons inside an
    IPv6 address, "c8af:57ae"), capitalised words apart, the "+1" of a North American number apart from it, the
    "@" of an email address that OCR read as another glyph restored and its top-level domain made whole
    (``email_domain_repaired``), and digit look-alikes inside digit runs read as digits."""
    inside_addresses = [(m.start(), m.end()) for m in IPV6_LIKE.finditer(text)]
    text = _LABEL_COLON.sub(
        lambda colon: colon.group() if any(a < colon.start() < b for a, b in inside_addresses) else ": ", text
    )
    if not any(mark in text for mark in ("@", "/", "www.")):
        text = _RUN_TOGETHER_NAMES.sub(r"\1 ", text)
    text = _NANP_COUNTRY_CODE.sub("+1 ", text)
    if "@" not in _AT_LOOKALIKE.sub("", text):
        text = _AT_LOOKALIKE.sub("@", text, count=1)
    return _DIGITISH_RUN.sub(_digits_restored, email_domain_repaired(text))


def normalised(words: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The word table with addresses re-joined (``join_split_addresses``), every word normalised, and IBANs and
    SSNs split over several words or misread made whole (``join_identifiers``)."""
    joined = join_split_addresses(words)
    joined["text"] = [normalise_word(str(text)) for text in joined["text"]]
    return join_identifiers(joined)


def join_identifiers(words: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The word table with each IBAN that ``identifiers.joined_ibans`` finds on a line in one word, and each
    social security number that ``identifiers.joined_ssns`` finds."""
    lines: dict[tuple[Any, ...], list[int]] = {}
    for index, key in enumerate(zip(words["block_num"], words["par_num"], words["line_num"], strict=True)):
        lines.setdefault(key, []).append(index)
    dropped: set[int] = set()
    for indexes in lines.values():
        texts = [str(words["text"][i]) for i in indexes]
        for first, last, text in [*(joined_ibans(texts) or ()), *(joined_ssns(texts) or ())]:
            for source in indexes[first + 1 : last + 1]:
                _absorb(words, indexes[first], source)
                dropped.add(source)
            words["text"][indexes[first]] = text
    kept = [i for i in range(len(words["text"])) if i not in dropped]
    return {key: [values[i] for i in kept] for key, values in words.items()}


def text_by_lines(words: dict[str, list[Any]]) -> str:
    """The words joined by a space within a line and by a newline between lines: one character between words
    either way, as Presidio's mapping of entities back to word boxes counts, while the analyzer sees where a
    line ends (no phone number or name across two lines)."""
    if not words or not words["text"]:
        return ""
    line = list(zip(words["block_num"], words["par_num"], words["line_num"], strict=True))
    parts = [words["text"][0]]
    for index in range(1, len(words["text"])):
        parts.append(("\n" if line[index] != line[index - 1] else " ") + words["text"][index])
    return "".join(parts)


class LineAwareText:
    """Mixed into an engine: the analyzer reads its words line by line (``text_by_lines``)."""

    @staticmethod
    def get_text_from_ocr_dict(ocr_result: dict, separator: str = " ") -> str:
        return text_by_lines(ocr_result)


class JoiningTesseractOCR(LineAwareText, TesseractOCR):
    """Tesseract on the image with its text levelled (``modstream_models.deskew``), with addresses it split
    re-joined and its words normalised."""

    def perform_ocr(self, image: object, **kwargs: object) -> dict:
        if not isinstance(image, Image.Image):
            return normalised(super().perform_ocr(image, **kwargs))
        tilt = skew_angle(image)
        if abs(tilt) < SMALLEST_CORRECTED:
            return normalised(super().perform_ocr(image, **kwargs))
        turned, turn, centre, turned_centre = levelled(image, tilt)
        return normalised(boxes_back(super().perform_ocr(turned, **kwargs), turn, centre, turned_centre))


@dataclass(frozen=True)
class Character:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom
    score: float


def words_of_line(characters: Sequence[Character]) -> list[tuple[str, tuple[float, float, float, float], float]]:
    """A recognised line's words, split at the spaces it read and at those it dropped (``dropped_spaces``); each
    word with the box around its characters and its lowest character score."""
    groups: list[list[Character]] = [[]]
    for character in _letters_for_zeros(characters):
        if character.text.strip():
            groups[-1].append(character)
        elif groups[-1]:
            groups.append([])
    return [
        (
            "".join(c.text for c in word),
            (
                min(c.box[0] for c in word),
                min(c.box[1] for c in word),
                max(c.box[2] for c in word),
                max(c.box[3] for c in word),
            ),
            min(c.score for c in word),
        )  # fmt: skip
        for group in groups
        if group
        for word in _split_where_spaces_dropped(group)
    ]


def _letters_for_zeros(characters: Sequence[Character]) -> list[Character]:
    """The characters with a "0" read between two lower-case letters read as "o" ("Ph0ne", "acc0unt",
    "is0nfile"): no number has one there, and the digit would cut the word in two."""
    texts = [c.text for c in characters]
    return [
        replace(c, text="o")
        if c.text == "0" and 0 < i < len(texts) - 1 and texts[i - 1].islower() and texts[i + 1].islower()
        else c
        for i, c in enumerate(characters)
    ]


def _split_where_spaces_dropped(group: list[Character]) -> list[list[Character]]:
    starts, position = {}, 0  # text position -> index of the character starting there
    for index, character in enumerate(group):
        starts[position] = index
        position += len(character.text)
    cuts = [starts[cut] for cut in dropped_spaces("".join(c.text for c in group)) if cut in starts]
    return [group[start:end] for start, end in zip([0, *cuts], [*cuts, len(group)], strict=True)]


def _bounds(quad: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


class RapidOcr(LineAwareText, OCR):
    """PP-OCRv4 through RapidOCR on onnxruntime (CPU here; ``rapidocr-onnxruntime`` ships the models)."""

    # No angle classifier: it is for lines turned upside down, and it turned some upright lines over, which
    # were then read as nothing (a line in ten lost on the development set). The detector reads the image at
    # its own size up to 960 px a side, not with its shorter side enlarged to 736 px: 2.5 times as fast on a
    # 640x400 image, and on the development set it lost no recall.
    SETTINGS: dict[str, Any] = {"use_cls": False, "det_limit_side_len": 960, "det_limit_type": "max"}

    @cached_property
    def engine(self) -> Any:
        from rapidocr_onnxruntime import RapidOCR

        return RapidOCR(**self.SETTINGS)

    def perform_ocr(self, image: object, **kwargs: object) -> dict:
        array = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
        margin = EDGE_MARGIN
        array = with_border(array, margin)
        lines, _ = self.engine(array, return_word_box=True)
        lines = lines or []
        numbers = text_line_numbers([np.asarray(quad, dtype=float) for quad, *_ in lines])
        rows = []
        for number, (quad, _, _, boxes, texts, scores) in zip(numbers, lines, strict=True):
            characters = [
                Character(unicodedata.normalize("NFKC", t), _bounds(b), float(s))  # full-width "（" read as "("
                for b, t, s in zip(boxes, texts, scores, strict=True)
            ]
            if _LONG_DIGIT_RUN.search("".join(c.text for c in characters)):
                characters = with_spaces_at(characters, digit_group_cuts(characters, self._reread(array, quad)))
            for text, (left, top, right, bottom), score in words_of_line(characters):
                rows.append(
                    (text, left - margin, top - margin, right - left, bottom - top, score * 100, 1, 1, number + 1)
                )
        rows.sort(key=lambda row: (row[-1], row[1]))  # line by line, each from left to right
        words: dict[str, list[Any]] = {field: [row[i] for row in rows] for i, field in enumerate(WORD_FIELDS)}
        return normalised(words)

    def _reread(self, array: np.ndarray, quad: Sequence[Sequence[float]]) -> str:
        """The line read again from its box widened by ``REREAD_MARGIN`` of its height on every side."""
        height, width = array.shape[:2]
        widened = np.clip(widened_quad(np.asarray(quad, dtype=np.float32), REREAD_MARGIN), 0, [width - 1, height - 1])
        (text, _), *_ = self.engine.text_rec(self.engine.get_crop_img_list(array, [widened.astype(np.float32)]))[0]
        return str(text)


# The detector misses the last characters of a line that runs to the image's edge ("...@mail.example.co.u"): the
# image is read inside a border this wide, and the boxes moved back.
EDGE_MARGIN = 16


def with_border(array: np.ndarray, width: int) -> np.ndarray:
    """The image (h x w, with or without channels) inside a border ``width`` pixels wide, of the median colour of
    its edge pixels: the background where text runs to the edge, without repeating the ink of a letter that the
    edge cuts."""
    edges = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    colour = np.median(edges, axis=0).astype(array.dtype)
    bordered = np.empty((array.shape[0] + 2 * width, array.shape[1] + 2 * width, *array.shape[2:]), dtype=array.dtype)
    bordered[:] = colour
    bordered[width : width + array.shape[0], width : width + array.shape[1]] = array
    return bordered


# The recogniser drops the spaces between printed digit groups more often the tighter the detector's box sits
# round the text ("535 01 5466" read as "535015466": no longer a social security number's layout). Read again
# from a box with more margin, a line keeps them more often (rendered lines of 16-36 px: 30-41 of 42 kept their
# spaces from a box 20 % of its height wider on every side, 9-27 from the detector's box), but its characters are
# not always as good (cards, emails and IPs were lost on the development set when every line was read that way); so
# the second reading only gives the first its spaces between digits.
REREAD_MARGIN = 0.3  # of the line's height, on every side
_LONG_DIGIT_RUN = re.compile(r"\d{6,}")


def widened_quad(quad: np.ndarray, margin: float) -> np.ndarray:
    """A text box (corners: top left, top right, bottom right, bottom left) widened by ``margin`` of its height
    on every side, along its own axes."""
    along, across = quad[1] - quad[0], quad[3] - quad[0]
    height = float(np.linalg.norm(across))
    along, across = along / max(float(np.linalg.norm(along)), 1e-6), across / max(height, 1e-6)
    outward = np.array([-along - across, along - across, along + across, -along + across])
    return quad + margin * height * outward


def digit_group_cuts(characters: Sequence[Character], second_reading: str) -> set[int]:
    """Indexes of ``characters`` before which the second reading of their line has a space the first lacks, in a
    run of digits that it divides into groups of two or more, where both readings agree on every other character.
    A run after "+" is left alone: phone numbers match with or without their spaces, and a second reading that
    spaces only some of its groups can make them match less."""
    first = "".join(c.text for c in characters if c.text.strip())
    second = "".join(second_reading.split())
    if first != second:
        return set()
    spaces_before, position = set(), 0  # positions in the text without spaces
    for character in second_reading:
        if character.isspace():
            spaces_before.add(position)
        else:
            position += 1
    cuts: set[int] = set()
    for run in re.finditer(r"\d+", first):
        inside = sorted(p for p in spaces_before if run.start() < p < run.end())
        groups = [b - a for a, b in pairwise([run.start(), *inside, run.end()])]
        if inside and first[run.start() - 1 : run.start()] != "+" and min(groups) >= 2:
            cuts |= set(inside)
    printed = [index for index, character in enumerate(characters) if character.text.strip()]
    return {printed[p] for p in cuts if not characters[printed[p] - 1].text.isspace()}


def with_spaces_at(characters: Sequence[Character], cuts: set[int]) -> list[Character]:
    """The characters with a space before each index in ``cuts`` (its box the next character's)."""
    spaced: list[Character] = []
    for index, character in enumerate(characters):
        if index in cuts:
            spaced.append(replace(character, text=" "))
        spaced.append(character)
    return spaced


def text_line_numbers(quads: Sequence[np.ndarray]) -> list[int]:
    """A line number for each detected text box (corners: top left, top right, bottom right, bottom left).

    The detector splits one line of text at wide gaps ("IBAN: D" | "DE1347063812" | "0665"), and an entity
    split over two of its boxes is found by no recognizer. A box continues a line when its left end lies on
    the line's last box's centre line, extended (within half that box's height), at most 2.5 heights on from
    its right end: turned and perspective lines keep their direction, the next line down does not touch it.
    """
    order = sorted(range(len(quads)), key=lambda i: float((quads[i][0][0] + quads[i][3][0]) / 2))
    numbers = [0] * len(quads)
    last_of_line: list[int] = []
    tops: list[float] = []  # each line's highest point, by which the lines are numbered in the end
    for index in order:
        start = (quads[index][0] + quads[index][3]) / 2
        continued = (n for n, previous in enumerate(last_of_line) if _continues_line(quads[previous], start))
        number = next(continued, len(last_of_line))
        top = float(quads[index][:, 1].min())
        if number == len(last_of_line):
            last_of_line.append(index)
            tops.append(top)
        last_of_line[number], numbers[index], tops[number] = index, number, min(tops[number], top)
    renumbered = {old: new for new, old in enumerate(sorted(range(len(tops)), key=tops.__getitem__))}
    return [renumbered[n] for n in numbers]


def _continues_line(quad: np.ndarray, start: np.ndarray) -> bool:
    left, right = (quad[0] + quad[3]) / 2, (quad[1] + quad[2]) / 2
    height = float(np.linalg.norm(quad[3] - quad[0]))
    length = float(np.linalg.norm(right - left))
    if height <= 0 or length <= 0:
        return False
    direction = (right - left) / length
    offset = start - right
    along = float(offset @ direction)
    across = abs(float(offset[0] * direction[1] - offset[1] * direction[0]))
    return -0.5 * height <= along <= 2.5 * height and across <= 0.5 * height


def _tesseract_version() -> str:
    try:
        first_line = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RuntimeError("tesseract is missing: apt-get install tesseract-ocr (scripts/install.sh does)") from exc
    return first_line.splitlines()[0]


@dataclass(frozen=True)
class OcrEngine:
    """An engine, the image preprocessor it reads best after, and what the version string says of it."""

    ocr: OCR
    preprocessor: ImagePreprocessor
    description: str


def ocr_engine(name: str) -> OcrEngine:
    """The OCR engine called ``name`` (``OCR_ENGINES``)."""
    if name == "tesseract":
        return OcrEngine(JoiningTesseractOCR(), UpscaleForOcr(2.0), _tesseract_version())
    if name == "rapidocr":
        return OcrEngine(RapidOcr(), UpscaleForOcr(1.0), f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}")
    raise ValueError(f"unknown OCR engine {name!r}: choose one of {', '.join(OCR_ENGINES)}")


OCR_ENGINES = ("rapidocr", "tesseract")  # the default first
