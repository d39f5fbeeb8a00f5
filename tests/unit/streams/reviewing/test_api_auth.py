"""Who may call the review API: API tokens, console sessions and their CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.streams.reviewing.conftest import PASSWORD, Review

FORGED = ({}, {"Authorization": "Bearer msr_not-a-token"}, {"Cookie": "modstream_session=forged"})


def test_every_route_but_health_metrics_and_login_needs_credentials(review: Review) -> None:
    anonymous = review.client()
    operations = [(method, path) for path, methods in anonymous.get("/openapi.json").json()["paths"].items()
                  for method in methods]  # fmt: skip
    assert len(operations) == 12
    for method, path in operations:
        if path in ("/health", "/metrics", "/api/login"):
            continue
        url = re.sub(r"\{[^}]+\}", "some-id", path)
        for headers in FORGED:
            answer = anonymous.request(method, url, headers=headers)
            assert answer.status_code == 401, (method, path, headers)
            assert answer.headers["www-authenticate"] == "Bearer"
    assert anonymous.get("/health").json() == {"status": "ok"}
    assert anonymous.post("/api/login", json={"username": "rita", "password": "wrong"}).status_code == 401
    assert anonymous.post("/api/login", json={"username": "nobody", "password": PASSWORD}).status_code == 401


def test_the_console_page_is_served_to_anyone_and_never_cached(review: Review) -> None:
    page = review.client().get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.headers["cache-control"] == "no-store" and "/api/login" in page.text


def test_a_login_sets_an_httponly_strict_cookie_and_returns_the_csrf_token(review: Review) -> None:
    browser = review.client()
    login = browser.post("/api/login", json={"username": "rita", "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert cookie.startswith("modstream_session=") and "httponly" in cookie and "samesite=strict" in cookie
    assert f"max-age={12 * 3600}" in cookie
    me = login.json()
    assert me["name"] == "rita" and me["role"] == "reviewer" and me["csrf_token"]
    assert browser.get("/api/me").json() == me


@pytest.mark.parametrize("csrf", [None, "wrong", "é"])
def test_console_posts_need_the_sessions_csrf_token(review: Review, csrf: str | None) -> None:
    review.queue("r1")
    browser, token = review.browser("rita")
    assert browser.get("/api/queue").status_code == 200  # reading needs no CSRF token
    headers = {} if csrf is None else {"X-CSRF-Token": csrf.encode("latin-1")}
    for path, body in (("/api/items/r1/decision", {"action": "approve"}), ("/api/logout", None)):
        refused = browser.post(path, json=body, headers=headers)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"], path
    assert review.sender.sent == [] and review.services.queue.get("r1").decision is None
    assert browser.post(
        "/api/items/r1/decision", json={"action": "approve"}, headers={"X-CSRF-Token": token}
    ).is_success
    assert [d.action for d in review.sender.decisions()] == ["approve"]


def test_logging_out_ends_the_session(review: Review) -> None:
    browser, token = review.browser("rita")
    assert browser.post("/api/logout", headers={"X-CSRF-Token": token}).json() == {"detail": "rita logged out"}
    assert browser.get("/api/queue").status_code == 401


def test_another_sessions_csrf_token_does_not_count(review: Review) -> None:
    review.queue("r1")
    rita, _ = review.browser("rita")
    _, bobs_token = review.browser("bob")
    refused = rita.post("/api/items/r1/decision", json={"action": "approve"}, headers={"X-CSRF-Token": bobs_token})
    assert refused.status_code == 403


def test_api_tokens_need_no_csrf_token_and_me_has_none(review: Review) -> None:
    review.queue("r1")
    lena = review.client("lena")
    assert lena.get("/api/me").json() == {"name": "lena", "role": "lead", "csrf_token": None}
    assert lena.post("/api/items/r1/decision", json={"action": "reject", "reason_code": "NOPE"}).status_code == 200


def test_a_body_over_the_limit_gets_413_before_it_is_read(review: Review) -> None:
    anonymous = review.client()
    huge = b'{"username": "rita", "password": "' + b"x" * (65 * 1024) + b'"}'
    answer = anonymous.post("/api/login", content=huge, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "over 65536 bytes" in answer.json()["detail"]
    chunked = anonymous.post("/api/login", content=iter([huge]), headers={"content-type": "application/json"})
    assert chunked.status_code == 411  # no Content-Length: the limit could not be applied before reading
    assert anonymous.post("/api/login", json={"username": "rita", "password": PASSWORD}).status_code == 200


def test_wrong_passwords_for_one_name_are_throttled_with_retry_after(review: Review) -> None:
    anonymous = review.client()
    for _ in range(5):
        assert anonymous.post("/api/login", json={"username": "rita", "password": "guess"}).status_code == 401
    blocked = anonymous.post("/api/login", json={"username": "rita", "password": PASSWORD})
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 300
    assert "too many failed logins" in blocked.json()["detail"]
    assert anonymous.post("/api/login", json={"username": "bob", "password": PASSWORD}).status_code == 200


def test_one_address_trying_many_names_is_throttled(review: Review) -> None:
    anonymous = review.client()
    for n in range(20):
        assert anonymous.post("/api/login", json={"username": f"name{n}", "password": "x"}).status_code == 401
    assert anonymous.post("/api/login", json={"username": "bob", "password": PASSWORD}).status_code == 429


def test_an_unknown_name_costs_a_password_hash_like_a_known_one(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streams.store.accounts as accounts

    hashed: list[int] = []
    real = accounts.password_matches
    monkeypatch.setattr(accounts, "password_matches", lambda *args: hashed.append(1) or real(*args))
    anonymous = review.client()
    assert anonymous.post("/api/login", json={"username": "nobody", "password": "x"}).status_code == 401
    assert anonymous.post("/api/login", json={"username": "rita", "password": "x"}).status_code == 401
    assert hashed == [1, 1]


def test_every_answer_forbids_sniffing_and_framing_and_the_console_runs_only_its_own_script(review: Review) -> None:
    anonymous = review.client()
    for path in ("/health", "/api/queue", "/"):
        headers = anonymous.get(path).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
    policy = anonymous.get("/").headers["content-security-policy"]
    assert "script-src 'sha256-" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert anonymous.get("/docs").status_code == 404 and anonymous.get("/openapi.json").status_code == 200


def test_the_session_cookie_is_secure_behind_tls(review: Review) -> None:
    proxied = review.client().post(
        "/api/login", json={"username": "rita", "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert "secure" in proxied.headers["set-cookie"].lower()
    plain = review.client().post("/api/login", json={"username": "rita", "password": PASSWORD})
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_a_non_ascii_csrf_header_is_a_403_not_a_500(review: Review) -> None:
    browser, _ = review.browser("rita")
    answer = browser.post("/api/logout", headers={"X-CSRF-Token": "é".encode()})
    assert answer.status_code == 403


def test_the_sqlite_store_is_readable_by_its_owner_only(review: Review, tmp_path) -> None:
    assert (tmp_path / "store.db").stat().st_mode & 0o077 == 0


def test_an_expired_api_token_or_an_idle_session_gets_401_saying_what_to_do(review: Review) -> None:
    browser, _ = review.browser("rita")
    accounts = review.services.accounts
    accounts.clock = lambda: datetime.now(UTC) + timedelta(minutes=31)  # the default idle limit is 30 minutes
    assert browser.get("/api/queue").status_code == 401
    accounts.clock = lambda: datetime.now(UTC) + timedelta(days=91)  # tokens live 90 days by default
    expired = review.client("lena").get("/api/queue")
    assert expired.status_code == 401 and "rotate-token" in expired.json()["detail"]
    review.tokens["lena"] = accounts.rotate_token("lena")
    assert review.client("lena").get("/api/queue").status_code == 200
