from pathlib import Path

import pytest

from streams.config import Settings


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "modstream.toml"
    config.write_text('topic_partitions = 8\nkafka_url = "broker:9092"\n')
    monkeypatch.setenv("MODSTREAM_CONFIG", str(config))
    monkeypatch.setenv("MODSTREAM_TOPIC_PARTITIONS", "2")
    settings = Settings()
    assert settings.topic_partitions == 2
    assert settings.kafka_bootstrap == "broker:9092"


def test_defaults_point_at_the_embedded_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODSTREAM_CONFIG", raising=False)
    settings = Settings()
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert settings.triton_grpc == "127.0.0.1:18001"
    assert settings.blob_location.startswith("file:///")


def test_missing_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODSTREAM_CONFIG", "/nonexistent/modstream.toml")
    with pytest.raises(FileNotFoundError, match="no such file"):
        Settings()


def test_hmac_key_is_created_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    key = settings.hmac_key()
    assert len(key) == 64
    assert Settings(data_dir=tmp_path).hmac_key() == key
    assert (tmp_path / "pseudonym.key").stat().st_mode & 0o077 == 0


def test_as_environment_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path, kafka_port=29999, generator_steps=3)
    for name, value in settings.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings.model_copy(update={"data_dir": tmp_path.resolve()})
