"""One real stack (Tansu broker, tritonserver, Faust worker) for the whole integration test run."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from streams import topics
from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.kafka import partitions_of, read_to_end
from streams.policy import DEFAULT_POLICY
from streams.processes import Part
from streams.stack import Stack, running_stack, shared_memory_regions

pytestmark = pytest.mark.integration


def stack_settings(data_dir: Path, offset: int) -> Settings:
    """Settings on ports of their own, so that the tests never meet a stack a developer runs.

    The policy is a copy of the default one in the data directory, for tests that change it.
    """
    policy_dir = data_dir / "policy"
    if not policy_dir.exists():
        shutil.copytree(DEFAULT_POLICY.parent, policy_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return Settings(
        data_dir=data_dir,
        policy_file=policy_dir / DEFAULT_POLICY.name,
        kafka_port=29092 + offset,
        triton_http_port=28000 + offset,
        triton_grpc_port=28001 + offset,
        triton_metrics_port=28002 + offset,
        worker_web_port=26066 + offset,
        topic_partitions=4,
        review_port=28080 + offset,
        gateway_port=28090 + offset,
        triton_retries=2,
    )


def triton_shared_memory(triton: Part) -> list[Path]:
    """The shared memory regions of ``triton``'s python backend, found by the name prefix it was started with."""
    option = next(arg for arg in triton.process.args if "shm-region-prefix-name=" in str(arg))
    return shared_memory_regions(str(option).rpartition("=")[2])


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(stack_settings(tmp_path_factory.mktemp("stack"), offset=100), progress=print) as stack:
        yield stack


@pytest.fixture(scope="session")
def settings(stack: Stack) -> Settings:
    return stack.effective_settings()


def run(coroutine):  # type: ignore[no-untyped-def]
    """Run ``coroutine`` to its end, in a thread of its own where a loop runs already (Playwright's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def submit_images(settings: Settings, images: list[bytes]) -> list[str]:
    async with ModstreamClient(settings) as client:
        return [await client.submit_image(image, user_id="tester") for image in images]


async def submit_prompts(settings: Settings, prompts: list[str]) -> list[str]:
    """The prompts sent with fixed seeds (their places in the list), so that each generates the same image every run:
    with a seed drawn from the random request id, about one noise image of the tiny generator in a few dozen held
    something MTCNN scores as a face over the policy's 0.9, and a prompt meant to be published went to review."""
    async with ModstreamClient(settings) as client:
        return [await client.submit_prompt(prompt, user_id="tester", seed=seed) for seed, prompt in enumerate(prompts)]


def audit_events(settings: Settings, request_id: str) -> list[dict]:
    async def read() -> list[dict]:
        tps = await partitions_of(settings.kafka(), [topics.AUDIT])
        return [json.loads(r.value) async for r in read_to_end(settings.kafka(), tps) if r.key == request_id.encode()]

    return run(read())


def cli(settings: Settings, *args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None) -> str:
    """``modstream ARGS`` as a user runs it against this stack; its standard output."""
    env = {
        **os.environ,
        **settings.as_environment(),
        "MODSTREAM_KAFKA_URL": settings.kafka_bootstrap,
        **(extra_env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", *args], env=env, input=stdin, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass(frozen=True)
class Reviewers:
    """Accounts made with `modstream users add`: name -> API token; every password is PASSWORD."""

    tokens: dict[str, str]

    def api(self, settings: Settings, name: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[name]}"} if name else {}
        return httpx.Client(base_url=settings.review_base_url, headers=headers, timeout=30)


PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def reviewers(settings: Settings) -> Reviewers:
    tokens = {}
    for name, role in (("rita", "reviewer"), ("bob", "reviewer"), ("lena", "lead")):
        added = json.loads(
            cli(settings, "users", "add", name, "--role", role, "--password-stdin", "--json", stdin=PASSWORD)
        )
        tokens[name] = added["token"]
    return Reviewers(tokens)


def queued(api: httpx.Client, tenant: str, count: int, timeout_s: float = 120) -> list[dict]:
    """The review queue of ``tenant`` once the review service holds ``count`` items of it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = api.get("/api/queue", params={"tenant": tenant}).json()["items"]
        if len(found) >= count:
            return found
        time.sleep(0.3)
    raise AssertionError(f"the review queue of tenant {tenant} did not reach {count} item(s)")


async def submit_for_review(settings: Settings, tenant: str, count: int = 1, user_id: str = "tester") -> list[str]:
    """Prompts that name a listed artist: generated, moderated, then queued for review with a preview."""
    async with ModstreamClient(settings) as client:
        return [
            await client.submit_prompt(f"a harbour in the style of Greg Rutkowski, study {n}", user_id=user_id,
                                       tenant=tenant)
            for n in range(count)
        ]  # fmt: skip


def outcome_after_review(settings: Settings, request_id: str, timeout_s: float = 120) -> dict:
    """The one outcome a reviewed request gets once the reviewer's decision is applied."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ends = run(wait_for_ends(settings, [request_id], timeout_s=5, settle_s=1))[request_id]
        outcomes = [end.value for end in ends if end.end != "review"]
        if outcomes:
            assert len(outcomes) == 1, outcomes
            return outcomes[0]
    raise AssertionError(f"{request_id} got no outcome within {timeout_s:.0f} s")
