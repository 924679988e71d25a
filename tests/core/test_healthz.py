"""/healthz reports the database, the channel layer and the payment API."""

from __future__ import annotations

import pytest

from tests.harness.servers import ARTIFACTS_LOGS, stripe_mock

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_everything_is_up_and_503_naming_stripe_mock_once_it_stops(
    client, settings
):
    with stripe_mock(ARTIFACTS_LOGS) as server:
        settings.STRIPE_API_BASE = server.base_url
        up = client.get("/healthz")
    down = client.get("/healthz")

    assert up.status_code == 200
    assert up.json() == {
        "status": "up",
        "down": [],
        "checks": {"database": "up", "channel_layer": "up", "payment_api": "up"},
    }
    assert down.status_code == 503
    assert down.json()["down"] == ["payment_api"]
    assert down.json()["checks"]["database"] == "up"


def test_livez_is_200_without_asking_any_service(client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: /healthz would say down

    response = client.get("/livez")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]
