"""How a stage's failures are classified, once for every stage.

- ``PermanentError`` (invalid input, a model refusing its input): retrying cannot help; the event goes to
  the dead-letter topic with the reason.
- ``TransientError`` (broker, blob store, network): the stage runs the event again with backoff, then
  fails closed (the item goes to review; a stage with no review route dead-letters it).
- ``ChecksUnavailable`` (a required check gave no answer after the inference client's own retries, or
  the model itself failed): the item goes to review at once, never on unchecked.
"""

from __future__ import annotations


class PermanentError(Exception):
    """Can never succeed, however often it is tried."""


class RejectedInput(PermanentError, ValueError):
    """Input that can never be processed: the event goes to the dead-letter topic with this reason."""


class TransientError(Exception):
    """May succeed when tried again: a broker, blob store or network failure."""


class ChecksUnavailable(RuntimeError):
    """A check the policy requires did not answer: the item goes to review (fail closed)."""
