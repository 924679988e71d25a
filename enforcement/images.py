"""Asset photos: checked with Pillow, re-encoded (dropping metadata such as GPS) and thumbnailed."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

from core.uploads import validate_image

MAX_PHOTO_BYTES = 8 * 1024 * 1024
FULL_SIZE = 1600
THUMBNAIL_SIZE = 480


@dataclass(frozen=True)
class PreparedPhoto:
    full: bytes
    thumbnail: bytes
    width: int
    height: int


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def prepare_photo(upload: UploadedFile) -> PreparedPhoto:
    """Validate `upload` as a real JPEG/PNG/WebP within the limits; return JPEG renditions.

    Raises django ValidationError (codes: file_too_large, file_empty, not_an_image,
    image_type, image_too_large).
    """
    validate_image(upload, max_bytes=MAX_PHOTO_BYTES)
    upload.seek(0)
    with Image.open(upload) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((FULL_SIZE, FULL_SIZE))
    full = _jpeg(image)
    width, height = image.size
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    return PreparedPhoto(full=full, thumbnail=_jpeg(image), width=width, height=height)
