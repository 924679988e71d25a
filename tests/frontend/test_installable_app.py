"""The installable app's files as browsers fetch them: manifest, service worker, offline page."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_the_manifest_speaks_the_readers_language(client, language, direction):
    answer = client.get(f"/manifest.{language}.webmanifest")

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/manifest+json"
    manifest = json.loads(answer.content)
    assert (manifest["lang"], manifest["dir"]) == (language, direction)
    assert manifest["short_name"] == {"ar": "مزاد", "en": "Mazad"}[language]
    assert manifest["id"] == manifest["start_url"] == manifest["scope"] == "/"


def test_a_manifest_in_a_language_the_site_does_not_speak_is_not_found(client):
    assert client.get("/manifest.fr.webmanifest").status_code == 404
    assert client.get("/offline/fr/").status_code == 404


def test_every_page_links_the_manifest_of_its_language(client):
    client.cookies["mazad_language"] = "ar"

    page = client.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.ar.webmanifest">' in page
    assert 'data-service-worker="/service-worker.js"' in page


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client):
    answer = client.get("/service-worker.js")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Service-Worker-Allowed"] == "/"
    assert answer["Cache-Control"] == "no-cache"
    source = answer.content.decode()
    config = json.loads(source.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["offline"] == {"ar": "/offline/ar/", "en": "/offline/en/"}
    assert set(config["precache"]) >= {
        "/offline/ar/",
        "/offline/en/",
        "/static/frontend/css/mazad.css",
    }
    assert all(url.startswith(("/offline/", "/static/")) for url in config["precache"])


def test_the_policy_admits_the_worker_and_manifest_from_the_site_only_and_keeps_scripts_strict(
    client,
):
    policy = client.get("/")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["worker-src"] == "'self'"
    assert directives["manifest-src"] == "'self'"
    assert directives["script-src"] == "'self'"


def test_the_offline_page_is_anyones_and_holds_no_form(client, bidder):
    client.force_login(bidder)

    page = client.get("/offline/en/").content.decode()

    assert "You are offline" in page
    assert bidder.email not in page
    assert "csrfmiddlewaretoken" not in page


def test_a_signed_in_page_carries_the_public_push_key_and_an_anonymous_one_does_not(client, bidder):
    from accounts import webpush

    anonymous = client.get("/").content.decode()
    client.force_login(bidder)
    signed_in = client.get("/accounts/profile/").content.decode()

    assert "data-push-key" not in anonymous
    assert f'data-push-key="{webpush.public_key()}"' in signed_in
    assert "data-push-toggle" in signed_in
