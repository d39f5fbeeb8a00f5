import pytest

from streams.authentication import HEADER, MessageAuthenticator, Unauthenticated

OLD, NEW = "k1:" + "a" * 32, "k2:" + "b" * 32


def test_a_tagged_message_verifies_and_any_change_to_it_does_not() -> None:
    keys = MessageAuthenticator.parse(OLD)
    headers = keys.headers("decisions", b"r1", b'{"end": "review"}')
    keys.verify("decisions", b"r1", b'{"end": "review"}', headers)
    for topic, key, value in [
        ("decisions", b"r1", b'{"end": "published"}'),
        ("decisions", b"r2", b'{"end": "review"}'),
        ("review-decisions", b"r1", b'{"end": "review"}'),  # a tag copied onto another topic
    ]:
        with pytest.raises(Unauthenticated, match="does not match"):
            keys.verify(topic, key, value, headers)


def test_rotation_the_new_key_signs_and_the_old_still_verifies() -> None:
    old, rotated = MessageAuthenticator.parse(OLD), MessageAuthenticator.parse(f"{NEW},{OLD}")
    signed_before = old.headers("audit", b"r1", b"{}")
    rotated.verify("audit", b"r1", b"{}", signed_before)
    signed_after = rotated.headers("audit", b"r1", b"{}")
    assert signed_after[HEADER].startswith(b"v1:k2:")
    with pytest.raises(Unauthenticated, match="unknown tag version or key id"):
        old.verify("audit", b"r1", b"{}", signed_after)


def test_headers_as_kafka_delivers_them_a_list_of_pairs() -> None:
    keys = MessageAuthenticator.parse(OLD)
    pairs = [("traceparent", b"00-..."), *keys.headers("review", None, b"x").items()]
    keys.verify("review", None, b"x", pairs)
    with pytest.raises(Unauthenticated, match="no modstream-auth header"):
        keys.verify("review", None, b"x", [("traceparent", b"00-...")])


@pytest.mark.parametrize(
    ("spec", "message"),
    [("", "holds no key"), ("nocolon", "id:secret"), ("k1:short", "holds 5 bytes; a key needs at least 32")],
)
def test_bad_key_settings_are_refused_saying_how_to_write_them(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MessageAuthenticator.parse(spec)


def test_topics_that_upstream_apps_write_carry_no_tag_and_need_none() -> None:
    keys = MessageAuthenticator.parse(OLD)
    assert keys.headers("requests", b"r1", b"{}") == {}
    keys.verify("requests", b"r1", b"{}", [])  # public input is judged by the screen stage, not by a tag
