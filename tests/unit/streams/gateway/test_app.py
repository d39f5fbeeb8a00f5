"""The gateway's API on a SQLite store, with a recorder in place of its Kafka producer (no broker needed).

``TestClient`` is used without ``with``, so the lifespan (producer, end-topic reader) never starts; ends
are put into the index by the tests, as the reader would.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from fastapi.testclient import TestClient

from streams.asgi import BodyLimit
from streams.client import EndRecord
from streams.config import Settings
from streams.gateway.app import Gateway, build_app
from streams.gateway.ends import EndIndex
from streams.gateway.limits import RateLimiter
from streams.store import Tenants, open_database


@dataclass
class RecordingClient:
    """What the gateway asked the producer API to send."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False  # the broker does not take anything

    async def submit_prompt(self, prompt: str, **fields: Any) -> str:
        if self.failing:
            raise KafkaConnectionError("the broker is away")
        self.sent.append({"kind": "prompt", "prompt": prompt, **fields})
        return str(fields["request_id"])

    async def submit_image(self, image: bytes, **fields: Any) -> str:
        self.sent.append({"kind": "image", "image": image, **fields})
        return str(fields["request_id"])


@dataclass
class Api:
    gateway: Gateway
    client: RecordingClient
    keys: dict[str, str]
    body_limit: int

    def http(self, tenant: str | None = "acme") -> TestClient:
        headers = {"Authorization": f"Bearer {self.keys[tenant]}"} if tenant else {}
        return TestClient(BodyLimit(build_app(self.gateway), self.body_limit), headers=headers)

    def end(self, request_id: str, topic: str, **event: Any) -> None:
        self.gateway.ends.add(request_id, EndRecord(topic, {"request_id": request_id, **event}))


@pytest.fixture
def api(tmp_path: Path) -> Api:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'store.db'}", gateway_burst=5)
    tenants = Tenants(open_database(settings.database))
    keys = {name: tenants.add(name) for name in ("acme", "globex")}
    client = RecordingClient()
    gateway = Gateway(settings, tenants, EndIndex(), RateLimiter(1.0, 5), client)
    return Api(gateway, client, keys, body_limit=64 * 1024)


def test_no_key_a_wrong_key_or_a_revoked_key_get_401(api: Api) -> None:
    body = {"prompt": "a red boat", "user_id": "u1"}
    assert api.http(None).post("/v1/requests", json=body).status_code == 401
    wrong = TestClient(build_app(api.gateway), headers={"Authorization": "Bearer mst_forged"})
    answer = wrong.post("/v1/requests", json=body)
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert api.gateway.tenants.revoke("globex")
    assert api.http("globex").post("/v1/requests", json=body).status_code == 401
    assert api.client.sent == []


def test_a_request_takes_the_keys_tenant_whatever_the_body_says(api: Api) -> None:
    reference = b"\x89PNG reference"
    body = {"prompt": "a red boat", "user_id": "u1", "seed": 7, "tenant": "globex", "reference_scale": 0.3,
            "reference_image": base64.b64encode(reference).decode()}  # fmt: skip
    answer = api.http().post("/v1/requests", json=body)
    assert answer.status_code == 202, answer.text
    request_id = answer.json()["request_id"]
    assert answer.json()["status_url"] == f"/v1/requests/{request_id}"
    (sent,) = api.client.sent
    assert (sent["tenant"], sent["seed"], sent["reference_image"], sent["reference_scale"], sent["request_id"]) == (
        "acme",
        7,
        reference,
        0.3,
        request_id,
    )
    assert api.gateway.tenants.tenant_of(request_id) == "acme"


def test_an_image_submission_is_multipart(api: Api) -> None:
    answer = api.http().post("/v1/submissions", files={"image": ("a.png", b"\x89PNG bytes", "image/png")},
                             data={"user_id": "u2"})  # fmt: skip
    assert answer.status_code == 202, answer.text
    (sent,) = api.client.sent
    assert (sent["kind"], sent["image"], sent["user_id"], sent["tenant"]) == ("image", b"\x89PNG bytes", "u2", "acme")


def test_an_end_is_read_by_its_tenant_only_and_404_until_there_is_one(api: Api) -> None:
    request_id = api.http().post("/v1/requests", json={"prompt": "x", "user_id": "u"}).json()["request_id"]
    assert api.http().get(f"/v1/requests/{request_id}").status_code == 404
    api.end(request_id, "review", tenant="acme")
    api.end(request_id, "outcomes", tenant="acme", status="published")

    answer = api.http().get(f"/v1/requests/{request_id}", params={"wait": 5})
    assert answer.status_code == 200
    assert answer.json() | {"event": None} == {
        "request_id": request_id, "end": "published", "topic": "outcomes", "event": None,
        "ends": ["review", "published"],
    }  # fmt: skip
    assert api.http("globex").get(f"/v1/requests/{request_id}").status_code == 404
    assert api.http().get("/v1/requests/not-ours").status_code == 404


def test_a_body_over_the_limit_gets_413_and_one_without_a_length_411(api: Api) -> None:
    big = {"prompt": "x", "user_id": "u", "reference_image": base64.b64encode(b"0" * 100_000).decode()}
    answer = api.http().post("/v1/requests", json=big)
    assert answer.status_code == 413 and "bytes" in answer.json()["detail"]
    chunked = api.http().post("/v1/requests", content=iter([b'{"prompt": "x", "user_id": "u"}']),
                              headers={"Content-Type": "application/json"})  # fmt: skip
    assert chunked.status_code == 411
    assert api.client.sent == []


def test_a_tenant_over_its_rate_gets_429_with_retry_after(api: Api) -> None:
    http = api.http()
    codes = [http.post("/v1/requests", json={"prompt": "x", "user_id": "u"}).status_code for _ in range(7)]
    assert codes[:5] == [202] * 5 and codes[5] == 429
    limited = http.post("/v1/requests", json={"prompt": "x", "user_id": "u"})
    assert int(limited.headers["retry-after"]) >= 1
    assert api.http("globex").post("/v1/requests", json={"prompt": "x", "user_id": "u"}).status_code == 202


def test_the_api_is_described_at_openapi_json(api: Api) -> None:
    paths = api.http(None).get("/openapi.json").json()["paths"]
    assert {"/v1/requests", "/v1/submissions", "/v1/requests/{request_id}"} <= set(paths)


def test_a_broker_that_does_not_take_the_request_gets_503_saying_to_try_again(api: Api) -> None:
    api.client.failing = True
    answer = api.http().post("/v1/requests", json={"prompt": "x", "user_id": "u"})
    assert answer.status_code == 503 and "try again" in answer.json()["detail"]
