"""The commands that need no running stack: policy, schemas, bank, gallery, users, audit and erase."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from streams.config import get_settings
from streams.policy import DEFAULT_POLICY
from tests.images import SAMPLES
from tests.unit.streams.cli.helpers import run


def test_policy_check_validates_the_configured_file_or_the_one_given(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = run("policy", "check")
    assert shipped.exit_code == 0 and shipped.stdout.startswith(f"{DEFAULT_POLICY}: policy ")
    assert " is valid: " in shipped.stdout and "tenant overrides: " in shipped.stdout
    summary = json.loads(run("policy", "check", str(DEFAULT_POLICY), "--json").stdout)
    assert set(summary) == {"file", "version", "rules", "tenants", "protected_names", "prohibited_terms"}
    monkeypatch.setenv("MODSTREAM_POLICY_FILE", "/nonexistent/policy.yaml")
    get_settings.cache_clear()
    assert run("policy", "check").exit_code == 1  # the configured file
    assert run("policy", "check", str(DEFAULT_POLICY)).exit_code == 0


def test_policy_check_names_the_line_of_an_invalid_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: '1'\nrules: [\n")
    result = run("policy", "check", str(broken))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("modstream policy check: ") and f"{broken}:" in result.stderr


def test_schemas_write_then_check(tmp_path: Path) -> None:
    written = run("schemas", "--dir", str(tmp_path), "--write")
    assert written.exit_code == 0
    files = [Path(line) for line in written.stdout.splitlines()]
    assert files and all(path.parent == tmp_path and path.is_file() for path in files)
    assert run("schemas", "--dir", str(tmp_path)).stdout == f"{tmp_path}: up to date\n"
    files[0].write_text("{}")
    stale = run("schemas", "--dir", str(tmp_path))
    assert stale.exit_code == 1 and files[0].name in stale.stderr and "modstream schemas --write" in stale.stderr


def test_bank_add_list_remove(data_dir: Path) -> None:
    assert run("bank", "list").stdout == f"the protected bank ({data_dir / 'protected-bank.json'}) is empty\n"
    added = json.loads(run("bank", "add", str(SAMPLES / "coffee.jpg"), str(SAMPLES / "chelsea.jpg"), "--json").stdout)
    assert [entry["label"] for entry in added] == ["coffee", "chelsea"]
    assert all(entry["quality"] > 0 for entry in added)
    again = run("bank", "add", str(SAMPLES / "coffee.jpg"), "--label", "other")  # the same pixels: the same entry
    assert again.stdout.startswith(f"added {added[0]['id']} coffee ")
    listed = json.loads(run("bank", "list", "--json").stdout)
    assert sorted(entry["id"] for entry in listed) == sorted(entry["id"] for entry in added)
    assert run("bank", "remove", added[0]["id"]).stdout == f"removed {added[0]['id']} coffee\n"
    assert [entry["label"] for entry in json.loads(run("--json", "bank", "list").stdout)] == ["chelsea"]


def test_gallery_add_list_remove(data_dir: Path) -> None:
    assert run("gallery", "list").stdout.startswith("no style galleries in ")
    added = run("gallery", "add", "some-artist", str(SAMPLES / "coffee.jpg"), str(SAMPLES / "chelsea.jpg"))
    assert added.stdout == "gallery some-artist: 2 image(s) added\n"
    assert json.loads(run("gallery", "list", "--json").stdout) == {"some-artist": 2}
    assert run("gallery", "list").stdout == "some-artist  2 image(s)\n"
    assert json.loads(run("gallery", "remove", "some-artist", "--json").stdout) == {"removed": "some-artist"}
    assert json.loads(run("--json", "gallery", "list").stdout) == {}


def test_users_add_list_remove_on_the_sqlite_store(data_dir: Path) -> None:
    assert run("users", "list").stdout == "no users\n"
    added = run("users", "add", "rita", "--role", "lead", "--password-stdin", "--json", stdin="secret words\n")
    assert added.exit_code == 0, added.output
    account = json.loads(added.stdout)
    assert account["name"] == "rita" and account["role"] == "lead" and account["token"].startswith("msr_")
    assert (data_dir / "modstream.db").is_file()
    plain = run("users", "add", "tom", stdin="")  # not a terminal, no --password-stdin: an API token only
    assert plain.stdout.startswith("added tom (reviewer); API token (shown once): msr_")
    listed = run("users", "list").stdout.splitlines()
    assert [line.split("  ")[:2] for line in listed] == [["rita", "lead"], ["tom", "reviewer"]]
    assert all(" token expires 20" in line for line in listed)
    rotated = json.loads(run("users", "rotate-token", "tom", "--json").stdout)
    assert rotated["name"] == "tom" and rotated["token"].startswith("msr_") and rotated["token"] not in plain.stdout
    assert json.loads(run("users", "remove", "tom", "--json").stdout) == {"removed": "tom"}
    (rita,) = json.loads(run("--json", "users", "list").stdout)
    assert rita["name"] == "rita" and rita["role"] == "lead" and datetime.fromisoformat(rita["created_at"]).tzinfo
    created, expires = (datetime.fromisoformat(rita[key]) for key in ("created_at", "token_expires_at"))
    assert expires - created == timedelta(days=90)


def test_erase_is_recorded_in_the_audit_store() -> None:
    assert run("audit", "erasure:u_nobody").stdout == "nothing recorded for erasure:u_nobody\n"
    report = json.loads(run("erase", "--user", "u_nobody", "--json").stdout)
    assert {key: report[key] for key in ("user", "requests", "blobs_deleted")} == {
        "user": "u_nobody",
        "requests": [],
        "blobs_deleted": 0,
    }
    assert [entry["what"] for entry in report["left"]] == [
        "the events on Kafka topics",
        "the decisions (stage, action, reason code)",
    ]  # what an erasure leaves, and why
    history = run("audit", "erasure:u_nobody")
    assert history.exit_code == 0 and "erased" in history.stdout
    assert [step["action"] for step in json.loads(run("audit", "erasure:u_nobody", "--json").stdout)] == ["erased"]
    assert "left: the events on Kafka topics" in run("erase", "--user", "u_nobody").stdout
