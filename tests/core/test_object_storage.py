"""Files and audit checkpoints in a real S3-compatible server (versitygw on loopback).

An identity document uploaded through the site lands in the private bucket, never on the
local disk, and is served only by a redirect (after the permission check) to a signed URL
that expires; the bucket answers no unsigned request. The clock's checkpoint job, configured
by the S3_* variables alone, writes its checkpoints into the audit bucket under object lock,
where neither a delete nor an overwrite is accepted, and the chain verifies from there.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import reverse
from django.utils import timezone

from accounts.models import IdentityStatus
from accounts.roles import Role
from core import audit, audit_chain
from core.models import AuditChain
from tests.accounts.test_roles_and_identity import id_upload, png_bytes
from tests.conftest import make_user, server_env
from tests.harness.object_store import ObjectStore
from tests.harness.servers import ARTIFACTS_LOGS, ROOT

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def store() -> Iterator[ObjectStore]:
    with ObjectStore.started(ARTIFACTS_LOGS / "object-store") as running:
        yield running


@pytest.fixture
def on_store(store, settings, tmp_path) -> ObjectStore:
    """This process's private, media and audit stores in new buckets of the server; the local
    folders empty."""
    store.fresh_buckets()
    settings.STORAGES = store.storages()
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return store


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def keys(store: ObjectStore, bucket: str, prefix: str = "") -> list[str]:
    listed = store.client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.mark.django_db
def test_an_identity_document_lands_in_the_bucket_and_is_served_only_by_a_signed_url(
    client, staff, on_store, tmp_path
):
    store = on_store
    bidder = make_user(Role.BIDDER)
    client.force_login(bidder)
    content = png_bytes((64, 48))

    response = client.post(reverse("accounts:identity"), {"document": id_upload(content=content)})

    assert response.status_code == 302
    bidder.refresh_from_db()
    assert bidder.identity_status == IdentityStatus.PENDING
    name = bidder.identity_document.name
    assert name in keys(store, store.private, "identity/")
    assert store.client.get_object(Bucket=store.private, Key=name)["Body"].read() == content
    assert not any((tmp_path / "private").rglob("*")), "nothing on the local disk"

    # The reviewer's page links the view, which checks rights and then redirects.
    client.force_login(staff)
    link = reverse("accounts:identity_document", args=[bidder.pk])
    assert link in client.get(reverse("accounts:review", args=[bidder.pk])).content.decode()
    answer = client.get(link)
    assert answer.status_code == 302
    assert answer["Cache-Control"] == "private, no-store"
    signed = answer["Location"]
    parts = urlsplit(signed)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}" == store.endpoint
    assert parts.path == f"/{store.private}/{name}"
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-Signature"]
    status, body, headers = fetch(signed)
    assert (status, body) == (200, content)
    assert headers["Content-Type"] == "image/png"

    # The same object without a signature: refused by the store, nothing of the file given.
    status, body, _headers = fetch(f"{store.endpoint}/{store.private}/{name}")
    assert status in (400, 403), status  # versitygw 1.0 calls a missing signature malformed
    assert content not in body
    assert b"<Error>" in body

    # A signed URL that has expired is refused.
    expired = bidder.identity_document.storage.url(name, expire=1)
    time.sleep(2)
    status, body, _headers = fetch(expired)
    assert status == 403
    assert b"AccessDenied" in body

    # Someone without the right gets no URL at all.
    client.force_login(make_user(Role.BIDDER))
    refused = client.get(link)
    assert refused.status_code == 404
    assert "Location" not in refused


@pytest.mark.django_db
def test_the_content_security_policy_lets_photos_come_from_the_store(settings, store):
    """With the private bucket set, the page's policy admits images from the store's origin."""
    env = {**os.environ, **store.environment(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']); "
            "print(settings.STORAGES['private']['BACKEND'], settings.STORAGES['audit']['BACKEND'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert store.endpoint in printed
    assert "core.storage.S3Store core.storage.WriteOnceS3Store" in printed


def signing_key_text() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


@pytest.mark.django_db(transaction=True)
def test_the_clocks_checkpoints_land_in_the_audit_bucket_write_once(
    on_store, settings, court, tmp_path
):
    store = on_store
    key = signing_key_text()
    settings.AUDIT_SIGNING_KEY = key
    user = make_user()
    for n in range(3):
        audit.record(actor=user, action="test.changed", obj=user, after={"n": n}, court_id=court.pk)

    # The clock as deployed: its settings come from the environment only.
    env = {
        **server_env(),
        **store.environment(),
        "S3_AUDIT_RETENTION_DAYS": "1",
        "AUDIT_SIGNING_KEY": key,
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "clock-checkpoints"),
        "CLOCK_CLOSERS": "1",
    }
    log = ARTIFACTS_LOGS / "object-store" / "clock.log"
    with log.open("wb") as output:
        clock = subprocess.Popen(
            [sys.executable, "manage.py", "run_auction_clock", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    folder = f"court-{court.pk}/"
    try:
        deadline = time.monotonic() + 60
        while not keys(store, store.audit, folder):
            assert clock.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no checkpoint in the bucket:\n" + log.read_text()
            time.sleep(0.2)
    finally:
        clock.terminate()
        try:
            clock.wait(timeout=20)
        except subprocess.TimeoutExpired:
            clock.kill()
            clock.wait()
    assert not (tmp_path / "clock-checkpoints" / f"court-{court.pk}").exists()

    [name] = keys(store, store.audit, folder)[:1]
    head = AuditChain.objects.get(chain=f"court:{court.pk}")
    assert name.endswith(f"-{head.last_sequence:012d}.json")
    retention = store.client.get_object_retention(Bucket=store.audit, Key=name)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert retention["RetainUntilDate"] > timezone.now() + timedelta(hours=23)

    version = store.client.head_object(Bucket=store.audit, Key=name)["VersionId"]
    with pytest.raises(ClientError):
        store.client.delete_object(Bucket=store.audit, Key=name, VersionId=version)
    with pytest.raises(ClientError):
        store.client.put_object(Bucket=store.audit, Key=name, Body=b"{}")
    assert store.client.get_object(Bucket=store.audit, Key=name)["Body"].read().startswith(b"{")

    # The verifier reads the checkpoints from the bucket.
    documents = list(audit_chain.checkpoints(f"court:{court.pk}"))
    assert documents
    assert documents[0]["path"] == f"s3://{store.audit}/{name}"
    assert audit_chain.verify_all() == []


@pytest.mark.django_db
def test_a_restore_sets_aside_newer_checkpoints_the_write_once_bucket_keeps(
    on_store, settings, court
):
    """In a write-once bucket the original of a checkpoint set aside cannot be removed: the
    signed restore record names it, and the chain verifies."""
    from tests.core.test_audit_restore import newer_checkpoint, write_records

    store = on_store
    settings.AUDIT_SIGNING_KEY = signing_key_text()
    write_records(2, court)
    audit_chain.checkpoint()
    restored_to = timezone.now()
    stale = newer_checkpoint(f"court:{court.pk}", restored_to + timedelta(minutes=1))
    assert audit_chain.verify_all() != []

    done = audit_chain.restored(restored_to, reason="restored after a disk failure")

    assert done.set_aside == [stale]
    assert stale in keys(store, store.audit), "the write-once bucket kept the original"
    assert any(key.startswith("superseded/") for key in keys(store, store.audit))
    assert keys(store, store.audit, "restores/")
    [record] = audit_chain.restore_records()
    assert record["set_aside"][0]["original_removed"] is False
    assert audit_chain.verify_all() == []
    assert Path(settings.AUDIT_CHECKPOINT_DIR).exists() is False or not any(
        Path(settings.AUDIT_CHECKPOINT_DIR).rglob("*.json")
    )


@pytest.mark.django_db
def test_backup_files_copies_the_buckets(on_store, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from core.storage import private_storage

    name = private_storage().save("support/2026/12/letter.pdf", ContentFile(b"%PDF-1.4 x"))
    call_command("backup_files", str(tmp_path / "backup"))

    assert (tmp_path / "backup" / "private" / name).read_bytes() == b"%PDF-1.4 x"


@pytest.mark.django_db
def test_signed_urls_name_the_address_browsers_use(store, settings):
    """S3_PUBLIC_ENDPOINT_URL: the platform reaches the store at one address, browsers at
    another; the URL is signed for the browsers' host, and the store accepts it there."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from config.settings.base import s3_store

    store.fresh_buckets()
    public = f"http://localhost:{store.port}"
    settings.STORAGES = {
        **store.storages(),
        "private": s3_store(
            store.private,
            endpoint_url=store.endpoint,
            public_endpoint_url=public,
            access_key=store.access_key,
            secret_key=store.secret_key,
        ),
    }
    private = storages["private"]
    name = private.save("identity/2026/12/id.pdf", ContentFile(b"%PDF-1.4 id"))

    url = private.url(name, expire=60)

    assert url.startswith(f"{public}/{store.private}/{name}?")
    status, body, _headers = fetch(url)
    assert (status, body) == (200, b"%PDF-1.4 id")
