"""The review service: the store fed from Kafka, the JSON API and the console (see ``streams.reviewing.api``)."""

from __future__ import annotations

from fastapi import FastAPI

from streams import metrics
from streams.config import Settings
from streams.reviewing.api import build_app
from streams.reviewing.services import Services, running


def create_app(settings: Settings) -> FastAPI:
    """The review service's app: its lifespan starts the Kafka producer and the feed of the store."""
    services = Services.open(settings)
    metrics.register_review_metrics()
    return build_app(services, lifespan=running(services))
