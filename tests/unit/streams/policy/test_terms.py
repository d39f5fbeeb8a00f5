import pytest

from streams.policy.terms import TermList, fold


@pytest.fixture(scope="module")
def terms() -> TermList:
    return TermList({"artists": ["Greg Rutkowski", "Banksy"], "violence": ["behead*"]})


@pytest.mark.parametrize(
    "prompt, matched",
    [
        ("in the style of Greg Rutkowski", "Greg Rutkowski"),
        ("in the style of gr3g rutk0wsk1", "gr3g rutk0wsk1"),
        ("by G.R.E.G. Rutkowski, trending", "G.R.E.G. Rutkowski"),
        ("Grеg Rutkоwski", "Grеg Rutkоwski"),  # Cyrillic е and о
        ("greg   RUTKOWSKÍ oil painting", "greg   RUTKOWSKÍ"),
        ("b a n k s y mural", "b a n k s y"),
    ],
)
def test_obfuscated_names_are_found_with_their_span(terms: TermList, prompt: str, matched: str) -> None:
    (match,) = terms.find(prompt)
    assert match.category == "artists"
    assert match.text_of(prompt) == matched


def test_terms_match_at_word_edges_only(terms: TermList) -> None:
    assert terms.find("banksyish graffiti") == []
    assert terms.find("a storegregrutkowski") == []
    (match,) = terms.find("a B3H3ADING scene")  # a trailing '*' lets the word go on
    assert match.term == "behead*" and match.text_of("a B3H3ADING scene") == "B3H3AD"


def test_folding_and_short_terms() -> None:
    assert fold("Ünïcode-Ｆｕｌｌ 5ty1e") == fold("unicode full style")
    with pytest.raises(ValueError, match="too short"):
        TermList({"x": ["ab"]})
