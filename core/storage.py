"""Where uploaded files live: private files are only ever served by views that check rights."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    """Storage outside MEDIA_ROOT (read at call time, so test settings apply)."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
