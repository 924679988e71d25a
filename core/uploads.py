"""Checks on uploaded files: the content must be what it claims, within the size limit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_IMAGE_PIXELS = 40_000_000  # refuses decompression bombs before decoding them


def validate_size(upload: UploadedFile, *, max_bytes: int) -> None:
    if upload.size is None or upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large: the limit is %(limit)s."),
            code="file_too_large",
            params={"limit": filesizeformat(max_bytes)},
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")


def _head(upload: UploadedFile, length: int = 8) -> bytes:
    upload.seek(0)
    head = upload.read(length)
    upload.seek(0)
    return bytes(head)


def is_pdf(upload: UploadedFile) -> bool:
    return _head(upload, 5) == b"%PDF-"


def validate_image(upload: UploadedFile, *, max_bytes: int) -> str:
    """Check that `upload` is a real JPEG, PNG or WebP image; return its content type."""
    validate_size(upload, max_bytes=max_bytes)
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationError(_("The image has too many pixels."), code="image_too_large")
            image_format = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("The file is not a readable image (JPEG, PNG or WebP)."), code="not_an_image"
        ) from error
    finally:
        upload.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError(_("Only JPEG, PNG and WebP images are accepted."), code="image_type")
    return IMAGE_FORMATS[image_format]


def validate_document(upload: UploadedFile, *, max_bytes: int) -> str:
    """Accept a PDF or an image; return the content type found in the content itself."""
    validate_size(upload, max_bytes=max_bytes)
    if is_pdf(upload):
        return "application/pdf"
    try:
        return validate_image(upload, max_bytes=max_bytes)
    except ValidationError as error:
        if error.code == "image_too_large":  # an image, but one that would not fit in memory
            raise
        raise ValidationError(
            _("The file must be a PDF or a JPEG, PNG or WebP image."), code="document_type"
        ) from error
