"""Upstream apps in other languages' clients: every topic there from the start, the librdkafka example app
against the checked-in schemas, and the HTTP gateway with tenant keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from streams import topics
from streams.config import Settings
from tests.images import SAMPLES
from tests.integration.conftest import cli

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "upstream_app.py"


def test_topics_list_shows_every_topic_with_its_partitions_retention_and_schema(settings: Settings) -> None:
    listed = {row["name"]: row for row in json.loads(cli(settings, "topics", "list", "--json"))["topics"]}
    assert set(listed) == set(topics.ALL)
    for name, row in listed.items():
        assert row["exists"] and row["partitions"] == settings.topic_partitions, row
        assert row["public"] == (name not in topics.INTERNAL)
        assert (row["schema"] is not None) == row["public"], name
    short = str(int(settings.short_topic_retention_hours * 3_600_000))
    assert all(listed[name]["config"]["retention.ms"] == short for name in topics.SHORT_LIVED)
    created = json.loads(cli(settings, "topics", "create", "--json"))
    assert created["created"] == [] and sorted(created["existing"]) == sorted(topics.ALL)


def test_the_librdkafka_example_app_gets_its_end_with_every_event_valid(settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--bootstrap", settings.kafka_bootstrap, "--prompt", "a kite over dunes",
         "--seed", "3", "--timeout", "120"],
        capture_output=True, text=True, timeout=180, env={**os.environ},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["topic"] == "outcomes" and result["event"]["status"] == "published"
    assert result["event"]["tenant"] == "default" and result["events_read"] >= 1


@pytest.fixture(scope="module")
def tenant_keys(settings: Settings) -> dict[str, str]:
    return {
        name: json.loads(cli(settings, "tenants", "add", name, "--json"))["api_key"] for name in ("acme", "initech")
    }


def gateway(settings: Settings, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=settings.gateway_base_url, headers=headers, timeout=90)


def test_through_the_gateway_a_prompt_is_published_and_a_face_goes_to_review(
    settings: Settings, tenant_keys: dict[str, str]
) -> None:
    api = gateway(settings, tenant_keys["acme"])
    prompt = api.post("/v1/requests", json={"prompt": "a lighthouse at dusk", "user_id": "web-1", "tenant": "initech"})
    assert prompt.status_code == 202, prompt.text
    with open(SAMPLES / "astronaut.jpg", "rb") as image:
        face = api.post(
            "/v1/submissions", files={"image": ("astronaut.jpg", image, "image/jpeg")}, data={"user_id": "web-2"}
        )
    assert face.status_code == 202, face.text

    published = api.get(prompt.json()["status_url"], params={"wait": 60})
    assert published.status_code == 200, published.text
    assert published.json()["end"] == "published" and published.json()["event"]["tenant"] == "acme"
    reviewed = api.get(face.json()["status_url"], params={"wait": 60}).json()
    assert reviewed["end"] == "review" and reviewed["topic"] == "review" and reviewed["event"]["tenant"] == "acme"
    # another tenant cannot read them
    assert gateway(settings, tenant_keys["initech"]).get(prompt.json()["status_url"]).status_code == 404


def test_the_gateway_refuses_no_key_a_wrong_key_and_a_revoked_key(
    settings: Settings, tenant_keys: dict[str, str]
) -> None:
    body = {"prompt": "a red boat", "user_id": "web-3"}
    assert gateway(settings, None).post("/v1/requests", json=body).status_code == 401
    assert gateway(settings, "mst_not-a-key").post("/v1/requests", json=body).status_code == 401
    cli(settings, "tenants", "revoke", "initech")
    assert gateway(settings, tenant_keys["initech"]).post("/v1/requests", json=body).status_code == 401
    assert gateway(settings, None).get("/openapi.json").json()["info"]["title"] == "modstream gateway"
