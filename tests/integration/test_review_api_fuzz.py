"""The review API fuzzed against its own OpenAPI description (schemathesis): no input makes it fail with a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from schemathesis.checks import not_a_server_error

from streams.config import Settings
from tests.integration.conftest import Reviewers

pytestmark = pytest.mark.integration


def test_no_input_makes_the_review_api_fail(settings: Settings, reviewers: Reviewers) -> None:
    schema = schemathesis.openapi.from_url(f"{settings.review_base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    lead = {"Authorization": f"Bearer {reviewers.tokens['lena']}"}  # a lead may call every operation
    for operation in operations:

        @given(case=operation.as_strategy())
        @examples(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=lead, checks=[not_a_server_error])
            case.call_and_validate(checks=[not_a_server_error])

        fuzz()
