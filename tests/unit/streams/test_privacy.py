from streams.privacy import pseudonymise


def test_pseudonyms_are_stable_per_key_and_hide_the_id() -> None:
    first = pseudonymise("alice@example.com", b"key-1")
    assert first == pseudonymise("alice@example.com", b"key-1")
    assert first != pseudonymise("alice@example.com", b"key-2")
    assert first != pseudonymise("bob@example.com", b"key-1")
    assert "alice" not in first
