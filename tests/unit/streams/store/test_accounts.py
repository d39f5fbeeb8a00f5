from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from streams.store import Accounts, AuthError, Role, User
from streams.store.accounts import hash_password, password_matches


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second and "s3cret" not in first
    assert password_matches("s3cret", first) and not password_matches("secret", first)


def test_tokens_sessions_and_removal(engine: Engine) -> None:
    accounts = Accounts(engine)
    token = accounts.add("lee", Role.LEAD, "pw")
    assert accounts.by_token(token).role is Role.LEAD and accounts.by_token(token + "x") is None
    with pytest.raises(AuthError, match="exists"):
        accounts.add("lee", Role.REVIEWER)
    with pytest.raises(AuthError, match="wrong user name or password"):
        accounts.login("lee", "nope")
    session = accounts.login("lee", "pw")
    assert accounts.session(session.token).csrf_token == session.csrf_token
    assert [u.name for u in accounts.list()] == ["lee"]
    accounts.remove("lee")
    assert accounts.session(session.token) is None and accounts.by_token(token) is None


def test_sessions_expire(engine: Engine) -> None:
    accounts = Accounts(engine, session_hours=-1)
    accounts.add("ann", Role.REVIEWER, "pw")
    assert accounts.session(accounts.login("ann", "pw").token) is None


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def test_api_tokens_expire_and_rotation_replaces_them(engine: Engine) -> None:
    clock = Clock()
    accounts = Accounts(engine, token_days=30, clock=clock)
    old = accounts.add("ann", Role.REVIEWER)
    assert accounts.list()[0].token_expires_at == clock.at + timedelta(days=30)
    new = accounts.rotate_token("ann")
    assert new != old and accounts.by_token(old) is None and accounts.by_token(new) == User("ann", Role.REVIEWER)
    clock.advance(days=30, seconds=1)
    assert accounts.by_token(new) is None
    assert accounts.by_token(accounts.rotate_token("ann")) is not None
    with pytest.raises(AuthError, match="no user bob"):
        accounts.rotate_token("bob")


def test_a_session_ends_after_sitting_idle_and_lives_on_while_used(engine: Engine) -> None:
    clock = Clock()
    accounts = Accounts(engine, session_hours=12, idle_minutes=30, clock=clock)
    accounts.add("ann", Role.REVIEWER, "pw")
    used, idle = accounts.login("ann", "pw"), accounts.login("ann", "pw")
    for _ in range(4):  # two hours in all, a request every 29 minutes
        clock.advance(minutes=29)
        assert accounts.session(used.token) is not None
    assert accounts.session(idle.token) is None
    clock.advance(minutes=31)
    assert accounts.session(used.token) is None
    clock.advance(minutes=-31)  # an ended session stays ended: it was removed, not only refused
    assert accounts.session(used.token) is None
