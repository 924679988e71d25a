"""Operational endpoints."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from core.health import run_checks


@never_cache
async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, channel layer and payment API are all up; 503 naming the one down."""
    checks = await run_checks()
    down = sorted(name for name, state in checks.items() if state != "up")
    body = {"status": "down" if down else "up", "down": down, "checks": checks}
    return JsonResponse(body, status=503 if down else 200)
