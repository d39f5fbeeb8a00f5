import pytest
from sqlalchemy import Engine

from streams.store import Accounts, AuthError, Role
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
