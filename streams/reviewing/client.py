"""The reviewer CLI's client: the review service's JSON API with an API token."""

from __future__ import annotations

from typing import Any

import httpx

from streams.config import Settings


class ReviewApiError(RuntimeError):
    """The service refused or failed; the message is its own explanation."""


class ReviewClient:
    def __init__(self, settings: Settings) -> None:
        if not settings.review_token:
            raise ReviewApiError("set MODSTREAM_REVIEW_TOKEN to your API token (from `modstream users add`)")
        self.http = httpx.Client(
            base_url=settings.review_base_url,
            headers={"Authorization": f"Bearer {settings.review_token}"},
            timeout=30,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ReviewApiError(f"review service at {self.http.base_url} unreachable: {exc}") from None
        if response.status_code >= 400:
            try:
                detail = response.json()["detail"]
            except (ValueError, KeyError, TypeError):
                detail = response.text
            raise ReviewApiError(f"{response.status_code}: {detail}")
        return response.json()

    def pending(self, reason_code: str | None = None, tenant: str | None = None) -> dict[str, Any]:
        params = {k: v for k, v in {"reason_code": reason_code, "tenant": tenant}.items() if v}
        return dict(self._call("GET", "/api/queue", params=params))

    def open(self, request_id: str) -> dict[str, Any]:
        """The item, claimed for this reviewer while it is undecided."""
        return dict(self._call("POST", f"/api/items/{request_id}/claim"))

    def decide(self, request_id: str, action: str, reason_code: str | None = None, reason: str = "") -> dict[str, Any]:
        body = {"action": action, "reason_code": reason_code, "reason": reason}
        return dict(self._call("POST", f"/api/items/{request_id}/decision", json=body))
