"""Spaces an OCR engine dropped between words, put back before the analyzer reads the text.

RapidOCR's PP-OCR recogniser (trained mostly on Chinese, which has no spaces) often reads a Latin line
without some or all of its spaces: "wireittoDE71456208709163457923today", "use5175-9221-1669-7288forthis",
"Wemeetin Bostonnextweek". Presidio's recognizers need word boundaries (``\\b`` in every pattern, spaCy
tokens for names and places), so each such run is split again where a space belongs:

- between lower-case letters and digits (either way), before "+" or "(" after a lower-case letter, and
  after a comma between letters: upper-case codes (IBANs, flight numbers, postcodes) mix letters and
  digits on purpose and are left alone, except after a few labels that open a word ("SSN553-05-8007");
- where a lower-case word runs into a capitalised or upper-case one ("askOmar", "isFR50"), and where an
  upper-case run runs into a lower-case word ("SSNis"), at whichever of the two places leaves a common word;
- inside a run of letters, where a word-frequency segmentation (``wordninja``: English Wikipedia's
  126,000 commonest words) splits it into common words only ("Bostonnextweek" -> Boston next week). A run
  it would cut into a rare piece is kept whole: that is how most names read ("Haddad" is not "Had dad").

Addresses (anything with "@", "://" or "www.") are split only before an email's local part where words that lead
into it run into it ("Questions?Writetolucas@...": after "?" and "Writeto") and after its domain where it runs into
the next word ("sam@corp.netplease": at the longest known public suffix, from tldextract's snapshot); IPv6-like
runs of hex digits and colons are never split.
"""

from __future__ import annotations

import math
import re
from functools import cache
from itertools import accumulate

import tldextract
import wordninja

COMMON_RANK = 20000  # a piece of a split must be among this many commonest words
VERY_COMMON_RANK = 2000  # ... and among these where the split may be a name ("We meet in", not "Had dad")
_MODEL = wordninja.DEFAULT_LANGUAGE_MODEL
_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the snapshot it ships: no download
_ADDRESS = re.compile(r"@|://|www\.", re.IGNORECASE)
IPV6_LIKE = re.compile(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){3,}")
_EMAIL_DOMAIN = re.compile(r"(?<=@)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)(?![a-z])")
_LETTERS = re.compile(r"[A-Za-z]+")
# A lower-case letter next to a digit (either way round) or before "+" or "("; a letter after a comma; a
# capitalised word after a full stop, "?" or "!" ("wishes.Jane", "us!Receipt"); a bracketed word after a word or
# number ("0250(social", "SSN(last"), and what follows it ("verified)49752"); a number after a label's "#"
# ("Sec.#570274345").
_BOUNDARY = re.compile(
    r"(?<=[a-z])(?=[\d+(])|(?<=\d)(?=[a-z])"
    r"|(?<=[A-Za-z],)(?=[A-Za-z])"
    r"|(?<=[a-z][.?!])(?=[A-Z][a-z])"
    r"|(?<=[A-Za-z\d])(?=\([A-Za-z])|(?<=[A-Za-z]\))(?=[A-Za-z\d])"
    r"|(?<=[A-Za-z.]#)(?=\d)"
)
# A label that opens the word or follows a lower-case word, run into the number it introduces ("SSN553-05-8007",
# "TaxpayerID774", "Tel.301.719.7408") or an IBAN into its country code ("BeneficiaryIBANGB90..."). Only these
# labels: upper-case letters before digits are otherwise a code (an IBAN's "DE89", a flight's "LH400"), and "NO"
# (Norway) opens IBANs, so "No." needs its full stop.
_LABEL_RUN_IN = re.compile(
    r"(?:^|(?<=[a-z]))(?:(?:SSN#?|ssn|TIN|ID|IP|Tel\.?|tel\.?|Fax|fax|Ph\.?|No\.|Nr\.|Acct)(?=[+(]?\d)"
    r"|IBAN(?=[A-Z]{2}\d{2}))"
)


# Words that lead into an email address in running text, and those of them that can end the lead-in.
_INTRODUCING = ("to", "at", "from", "email", "e-mail", "mail", "contact", "is", "via")
_LEAD_WORDS = (*_INTRODUCING, "write", "send", "sent", "me", "us", "or", "and", "please", "my", "our", "your", "reach")
_SHORTEST_LOCAL = 3
_SENTENCE_MARK = re.compile(r"(?<=[A-Za-z])[?!](?=[A-Za-z])")

# A label's colon run into its value ("Name:Jane", "SSN:892-16-2114", "Contact:li@corp.net"), the label with a
# letter that is no hex digit so that an IPv6 address is not cut ("c8af:57ae"), nor a scheme ("http://").
_LABEL_END = re.compile(r"(?<=[G-Zg-z][A-Za-z]:|[A-Za-z][G-Zg-z]:)(?=[+(\dA-Za-z])")


def _rank(word: str) -> float:
    """The word's place among the commonest English words (0: the commonest; inf: unknown)."""
    cost = _MODEL._wordcost.get(word.lower())
    return math.inf if cost is None else math.exp(cost) / math.log(len(_MODEL._wordcost)) - 1


def _common(word: str) -> bool:
    return (len(word) >= 2 or word.lower() in ("a", "i")) and is_common_word(word)


def is_common_word(word: str) -> bool:
    """Among the ``COMMON_RANK`` commonest English words."""
    return _rank(word) <= COMMON_RANK


def is_very_common_word(word: str) -> bool:
    """Among the ``VERY_COMMON_RANK`` commonest English words."""
    return _rank(word) <= VERY_COMMON_RANK


def is_common_word_with_a_letter_doubled(word: str) -> bool:
    """No common word itself, but one with a letter read twice: OCR engines sometimes double a thin letter
    ("Fllight", "Tiicket"), and the language model takes the unknown capitalised word for a name or a place.
    Only a doubled letter counts: any one letter more or less would also turn many real names into common words
    ("Dila", "Coro"), where a doubled one turns about one place in 700 and one census first name in 60."""
    return not is_common_word(word) and any(
        word[i] == word[i + 1] and is_common_word(word[:i] + word[i + 1 :]) for i in range(len(word) - 1)
    )


def dropped_spaces(text: str) -> list[int]:
    """Positions in ``text``, one OCR word read without spaces, before which a space was dropped."""
    address = IPV6_LIKE.search(text)
    if address:
        return _cuts_around(text, address.start(), address.end())
    labels = {m.start() for m in _LABEL_END.finditer(text)} | {m.end() for m in _LABEL_RUN_IN.finditer(text)}
    if _ADDRESS.search(text):
        end = _email_end(text)
        return sorted(labels | _lead_in_cuts(text) | ({end} if end is not None else set()))
    cuts = labels | {m.start() for m in _BOUNDARY.finditer(text)}
    cuts -= {m.start() for m in _ORDINAL.finditer(text)}
    for run in _LETTERS.finditer(text):
        cuts |= {run.start() + cut for cut in _letter_run_cuts(run.group())}
    return sorted(cut for cut in cuts if 0 < cut < len(text))


def _cuts_around(text: str, start: int, end: int) -> list[int]:
    """Cuts before and after an address at ``start``-``end`` where words or a label run into it
    ("hostb091:...:22bawentdown": host, the address, went down; "IP:aa18:..."); the address is never cut."""
    cuts, head = [], text[:start]
    if head[-1:].isalpha() or (head.endswith(":") and head[:-1].isalpha()):  # "host", "IP:"
        cuts += [*dropped_spaces(head), start]
    if end < len(text) and text[end].isalpha():
        cuts += [end] + [end + cut for cut in dropped_spaces(text[end:])]
    return cuts


def _lead_in_cuts(text: str) -> set[int]:
    """Cuts between an email address's local part and the words OCR ran into it: after a question or exclamation
    mark ("Questions?Writeto..."), and after words that lead into an address ("Writeto|lucas@...",
    "mailmeat|Maria.Garcia@...", "Email|tom.berg@...", ``_lead_in_length``)."""
    at = text.find("@")
    if at < 0:
        return set()
    marks = [m.end() for m in _SENTENCE_MARK.finditer(text, 0, at)]
    start = marks[-1] if marks else 0
    lead = _lead_in_length(text[start:at])
    return set(marks) | ({start + lead} if lead else set())


def _lead_in_length(local: str) -> int:
    """The length of the shortest run of ``_LEAD_WORDS`` that opens ``local`` and ends in a word that introduces an
    address, leaving at least ``_SHORTEST_LOCAL`` characters; 0 if none. The shortest, because names start with
    these words too ("Email|tom.berg", not "Emailto|m.berg"). One word alone counts only capitalised before a
    lower-case local part ("Emailtom.berg"): "mailroom@" and "Contact@" are addresses of their own."""
    lowered, ends = local.lower(), []
    runs = [(0, 0)]  # (end, words) of each way of reading lead-in words from the start
    while runs:
        end, count = runs.pop()
        for word in _LEAD_WORDS:
            if not lowered.startswith(word, end):
                continue
            after = end + len(word)
            runs.append((after, count + 1))
            alone_fits = local[:1].isupper() and local[after : after + 1].islower()
            if word in _INTRODUCING and len(local) - after >= _SHORTEST_LOCAL and (count or alone_fits):
                ends.append(after)
    return min(ends, default=0)


def _email_end(text: str) -> int | None:
    """Where an email address whose domain ends in a known suffix runs into the next word
    ("sam@corp.netplease": after ".net"), or None."""
    match = _EMAIL_DOMAIN.search(text)
    if match is None or has_public_suffix(match.group()):
        return None
    head, last = match.group().rsplit(".", 1)
    for length in range(len(last) - 1, 1, -1):
        if has_public_suffix(f"{head}.{last[:length]}"):
            return match.end() - len(last) + length
    return None


@cache
def has_public_suffix(domain: str) -> bool:
    """``domain`` ends in a public suffix ("corp.net", "mail.co.uk"; not "mail.rg"), by tldextract's snapshot."""
    return _SUFFIXES(domain).suffix != ""


def _letter_run_cuts(run: str) -> set[int]:
    cuts: set[int] = set()
    start = 0
    for piece in _case_pieces(run):
        if start:
            cuts.add(start)
        cuts |= {start + cut for cut in _segmented(run[start : start + piece])}
        start += piece
    return cuts


def _case_pieces(run: str) -> list[int]:
    """The lengths of the pieces a letter run falls into at its changes of case ("askOmar" -> ask, Omar;
    "hisSSNis" -> his, SSN, is). Where an upper-case run meets lower case, the last capital goes with the
    lower-case letters unless that leaves the less common word ("SSNis": "SSN is", not "SS Nis")."""
    pieces: list[int] = []
    for match in re.finditer(r"[A-Z]*[a-z]*", run):
        word = match.group()
        if not word:
            continue
        capitals = len(word) - len(word.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        if capitals >= 2 and capitals < len(word) - 1:  # not a plural ("IDs")
            # "SSNis": cut before the last capital ("SS" + "Nis") or after it ("SSN" + "is")
            before, after = word[capitals - 1 :], word[capitals:]
            keep_capital = _rank(after) < _rank(before)
            split_at = capitals if keep_capital else capitals - 1
            pieces += [split_at, len(word) - split_at]
        else:
            pieces.append(len(word))
    if len(pieces) > 1 and pieces[0] == 1 and run[0].islower():  # "iPhone", "eBay": one word
        pieces[:2] = [pieces[0] + pieces[1]]
    return pieces


@cache
def _segmented(word: str) -> tuple[int, ...]:
    """Cuts inside one word of one case pattern where it is common words run together."""
    if len(word) < 5 or _rank(word) <= COMMON_RANK:
        return ()
    pieces = wordninja.split(word)
    if len(pieces) < 2 or "".join(pieces) != word:
        return ()
    name_like = (  # a short capitalised word cut into a short piece and a rarer one is more likely a name
        word[0].isupper() and len(pieces[0]) < 4 and len(word) <= 10 and max(map(_rank, pieces)) > VERY_COMMON_RANK
    )
    if all(_common(piece) for piece in pieces) and not name_like:
        return tuple(accumulate(len(piece) for piece in pieces[:-1]))
    return _common_tail(pieces) if word[0].isupper() else ()


def _common_tail(pieces: list[str]) -> tuple[int, ...]:
    """Cuts that take very common words off the end of a word that is not all common words, keeping its head
    whole ("Patelaboutit" -> Patel about it; "Doeaboutit" -> Doe about it): at least two of them, five letters."""
    tail = 0
    while tail < len(pieces) - 1 and is_very_common_word(pieces[-1 - tail]):
        tail += 1
    if tail < 2 or sum(map(len, pieces[-tail:])) < 5:
        return ()
    head = sum(map(len, pieces[:-tail]))
    return tuple(accumulate([head, *(len(piece) for piece in pieces[-tail:-1])]))


def with_spaces(text: str) -> str:
    """``text`` with a space at each of its ``dropped_spaces``."""
    cuts = dropped_spaces(text)
    return " ".join(text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True))
