"""One module per stage; importing this package registers every agent on the app."""

from streams.stages import generate, moderate, outcomes, review, screen

__all__ = ["generate", "moderate", "outcomes", "review", "screen"]
