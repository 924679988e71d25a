"""A real S3-compatible server on loopback for tests: versitygw over a temporary directory.

scripts/bootstrap.sh builds versitygw (a pinned version, with `go install`) into
var/tools/bin. The gateway keeps each bucket as a folder, object metadata in extended
attributes, and object versions in a folder of their own, which S3 object lock needs.

    with ObjectStore.started(log_dir) as store:
        store.client.list_objects_v2(Bucket=store.private)
        settings.STORAGES = store.storages()
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.servers import ROOT, free_port, server_environment, wait_for_port

VERSITYGW = ROOT / "var" / "tools" / "bin" / "versitygw"
REGION = "us-east-1"


def versitygw_binary() -> str:
    """The versitygw that scripts/bootstrap.sh built into var/tools/bin, else one on PATH."""
    if VERSITYGW.exists():
        return str(VERSITYGW)
    found = shutil.which("versitygw")
    if found is None:
        raise RuntimeError("versitygw is missing: scripts/bootstrap.sh test-deps builds it")
    return found


@dataclass
class ObjectStore:
    root: Path
    port: int
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    media: str = "mazad-media"
    private: str = "mazad-private"
    audit: str = "mazad-audit"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
        )

    def environment(self) -> dict[str, str]:
        """The variables a process of the platform reads (README, "Object storage")."""
        return {
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_BUCKET_MEDIA": self.media,
            "S3_BUCKET_PRIVATE": self.private,
            "S3_BUCKET_AUDIT": self.audit,
        }

    def storages(self, retention_days: int = 1) -> dict[str, Any]:
        """settings.STORAGES with the three stores in this server, as the variables make it."""
        from django.conf import settings

        from config.settings.base import s3_store

        options: dict[str, Any] = {
            "endpoint_url": self.endpoint,
            "region": REGION,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
        }
        return {
            **settings.STORAGES,
            "default": s3_store(self.media, **options),
            "private": s3_store(self.private, **options),
            "audit": s3_store(
                self.audit,
                "core.storage.WriteOnceS3Store",
                retention_days=retention_days,
                **options,
            ),
        }

    def fresh_buckets(self) -> None:
        """The platform's three buckets, new (for one test: a write-once bucket cannot be
        emptied), the audit one with object lock."""
        suffix = secrets.token_hex(3)
        self.media, self.private, self.audit = (
            f"mazad-media-{suffix}",
            f"mazad-private-{suffix}",
            f"mazad-audit-{suffix}",
        )
        client = self.client
        client.create_bucket(Bucket=self.media)
        client.create_bucket(Bucket=self.private)
        client.create_bucket(Bucket=self.audit, ObjectLockEnabledForBucket=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @classmethod
    @contextlib.contextmanager
    def started(cls, log_dir: Path) -> Iterator[ObjectStore]:
        """A gateway on a free port with the platform's three buckets (the audit one with
        object lock); stopped and its files removed afterwards, even on failure."""
        root = Path(tempfile.mkdtemp(prefix="mazad-s3-"))
        (root / "buckets").mkdir()
        (root / "versions").mkdir()
        log_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        access_key, secret_key = f"mazad{secrets.token_hex(4)}", secrets.token_urlsafe(24)
        env = server_environment(
            {"ROOT_ACCESS_KEY_ID": access_key, "ROOT_SECRET_ACCESS_KEY": secret_key}
        )
        command = [
            versitygw_binary(),
            "--port",
            f"127.0.0.1:{port}",
            "--region",
            REGION,
            "posix",
            "--versioning-dir",
            str(root / "versions"),
            str(root / "buckets"),
        ]
        with (log_dir / f"versitygw-{port}.log").open("wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        store = cls(root, port, access_key, secret_key, process)
        try:
            wait_for_port(port, process=process)
            store.fresh_buckets()
            yield store
        finally:
            store.stop()
            shutil.rmtree(root, ignore_errors=True)
