"""benchmarks.pii_negatives: the recorder of what the analyzer read, and the command's argument errors."""

from __future__ import annotations

import pytest

from benchmarks.pii_negatives import TextRecorder, main
from modstream_models.pii import analyzer_engine


def test_the_recorder_keeps_the_text_and_results_of_the_last_call() -> None:
    analyzer, _ = analyzer_engine(None)  # pattern recognizers only
    recorder = TextRecorder(analyzer)
    recorder.analyze(text="nothing here", language="en")
    results = recorder.analyze(text="mail jane.doe@example.com", language="en", entities=["EMAIL_ADDRESS"])
    assert recorder.text == "mail jane.doe@example.com"
    assert recorder.results == results
    assert [recorder.text[r.start : r.end] for r in results] == ["jane.doe@example.com"]


def test_seeds_that_are_no_numbers_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--seeds", "4,x"])
    assert exit_info.value.code == 2
    assert "whole numbers separated by commas" in capsys.readouterr().err
