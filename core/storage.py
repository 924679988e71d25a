"""Where uploaded files and the audit checkpoints live: the local disk, or an S3-compatible store.

Three stores, each a Django storage named in settings.STORAGES (built in config/settings/base.py
from the S3_* variables; without them, the local disk as before):

- "default": public media (MEDIA_ROOT, or the bucket S3_BUCKET_MEDIA);
- "private": identity documents, asset photos and documents, letters, attachments
  (PRIVATE_MEDIA_ROOT, or S3_BUCKET_PRIVATE). Only views that check the reader's rights serve
  them: from the disk through the view, from the store by a redirect to a signed URL that
  expires after S3_SIGNED_URL_SECONDS. The bucket itself is never public;
- "audit": the signed checkpoints of the audit chains (AUDIT_CHECKPOINT_DIR, or
  S3_BUCKET_AUDIT), written once under object lock where the bucket has it.

Models name `private_storage` (a callable, so migrations name it rather than a path); it gives a
lazy handle that follows settings.STORAGES, so a changed setting (a test's) takes effect.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from storages.backends.s3 import S3Storage  # type: ignore[import-untyped]
from storages.utils import clean_name  # type: ignore[import-untyped]

PRIVATE = "private"
AUDIT = "audit"


class PrivateFileSystemStorage(FileSystemStorage):
    """PRIVATE_MEDIA_ROOT, read when used (test settings move it); no URL: views serve it."""

    def __init__(self, **options: Any) -> None:
        options.pop("base_url", None)
        super().__init__(base_url=None, **options)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


class AuditFileSystemStorage(PrivateFileSystemStorage):
    """AUDIT_CHECKPOINT_DIR, read when used."""

    @property
    def base_location(self) -> str:
        return str(settings.AUDIT_CHECKPOINT_DIR)


class S3Store(S3Storage):  # type: ignore[misc]
    """A bucket of an S3-compatible store; signed URLs may name a public endpoint of it.

    The web processes may reach the store at an internal address (http://s3:7070 in compose)
    that a browser cannot; `public_endpoint_url` is the address browsers use, and the URL is
    signed for that host.
    """

    public_endpoint_url: str | None = None

    def __init__(self, **options: Any) -> None:
        self.public_endpoint_url = options.pop("public_endpoint_url", None) or None
        super().__init__(**options)
        self._public_client: Any = None

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        if not self.public_endpoint_url or self.public_endpoint_url == self.endpoint_url:
            return str(super().url(name, parameters, expire, http_method))
        if self._public_client is None:
            self._public_client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                verify=self.verify,
            )
        params = {
            **(parameters or {}),
            "Bucket": self.bucket_name,
            "Key": self._normalize_name(clean_name(name)),
        }
        return str(
            self._public_client.generate_presigned_url(
                "get_object",
                Params=params,
                ExpiresIn=expire or self.querystring_expire,
                HttpMethod=http_method,
            )
        )


class WriteOnceS3Store(S3Store):
    """The audit bucket: every object is put under object lock (COMPLIANCE mode) until
    `retention_days` from now, so not even the store's administrator can change or delete it
    before then. The bucket must have been made with object lock enabled (README, "Object
    storage"); `retention_days` 0 writes without a lock (a store that has none)."""

    retention_days = 0

    def __init__(self, **options: Any) -> None:
        self.retention_days = int(options.pop("retention_days", 0) or 0)
        super().__init__(**options)

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        params: dict[str, Any] = super().get_object_parameters(name)
        if self.retention_days:
            # A locked put must carry a checksum of its body (AWS refuses it otherwise).
            params["ChecksumAlgorithm"] = "SHA256"
            params["ObjectLockMode"] = "COMPLIANCE"
            params["ObjectLockRetainUntilDate"] = timezone.now() + timedelta(
                days=self.retention_days
            )
        return params


class _Store(LazyObject):
    """The storage of one alias of settings.STORAGES, made on first use."""

    def __init__(self, alias: str) -> None:
        self.__dict__["_alias"] = alias
        super().__init__()

    def _setup(self) -> None:
        self._wrapped = storages[self.__dict__["_alias"]]


_private = _Store(PRIVATE)
_audit = _Store(AUDIT)


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs: Any) -> None:
    # Django forgets its own storages when STORAGES changes; these handles follow.
    if setting == "STORAGES":
        for handle in (_private, _audit):
            handle._wrapped = empty  # type: ignore[assignment]


def private_storage() -> Storage:
    """The private store (models name this callable: see the module's docstring)."""
    return _private  # type: ignore[return-value]


def audit_storage() -> Storage:
    return _audit  # type: ignore[return-value]


def is_object_store(storage: Storage) -> bool:
    # A lazy handle answers isinstance for the storage it stands for.
    return isinstance(storage, S3Storage)


def where(storage: Storage, name: str) -> str:
    """A file's place, for people: its path on disk, or s3://bucket/key."""
    if is_object_store(storage):
        return f"s3://{storage.bucket_name}/{name}"  # type: ignore[attr-defined]
    return str(storage.path(name))


def signed_url(
    field: FieldFile, *, content_type: str, disposition: str | None = None
) -> str | None:
    """A short-lived signed URL of a private file in the object store (None on the local disk,
    where the view streams the file). The store answers with the type, disposition and
    caching the view would have given."""
    if not is_object_store(field.storage):
        return None
    parameters = {
        "ResponseContentType": content_type,
        "ResponseCacheControl": "private, no-store",
    }
    if disposition:
        parameters["ResponseContentDisposition"] = disposition
    return str(
        field.storage.url(  # type: ignore[call-arg]
            field.name, parameters=parameters, expire=settings.S3_SIGNED_URL_SECONDS
        )
    )
