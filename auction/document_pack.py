"""The documents of a lot as one download: a ZIP of its public documents and an index PDF.

The archive is streamed as it is written (`zipfile` on a stream it cannot seek, so each entry
carries a data descriptor): the server never holds a whole pack in memory. A pack whose
documents together exceed `LOT_DOCUMENT_PACK_MAX_BYTES` is refused before a byte is sent.
The index lists each document with its size and SHA-256, in Arabic and English, on the
court's letterhead, with a QR code to the lot's page.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from auction.models import Auction, Lot
from core import documents, formatting
from core.errors import DomainError, NotFound

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
CHUNK = 64 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


class PackTooLarge(DomainError):
    code = "pack_too_large"
    status = 413


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    field: Any
    size: int


def max_bytes() -> int:
    return int(getattr(settings, "LOT_DOCUMENT_PACK_MAX_BYTES", DEFAULT_MAX_BYTES))


def public_lot(lot_id: int) -> Lot:
    """A lot whose auction is published (anyone may read its documents), else NotFound."""
    lot = (
        Lot.objects.select_related("auction__court", "asset")
        .filter(pk=lot_id)
        .exclude(auction__status=Auction.Status.DRAFT)
        .first()
    )
    if lot is None:
        raise NotFound()
    return lot


def entries_of(lot: Lot) -> list[Entry]:
    """The lot's documents with unique archive names; raises PackTooLarge over the limit."""
    found: list[Entry] = []
    for position, document in enumerate(lot.asset.documents.order_by("pk"), start=1):
        title = " ".join(_UNSAFE.sub(" ", document.title).split())[:80] or "document"
        found.append(
            Entry(
                name=f"{position:02d} {title}.pdf",
                title=document.title,
                field=document.document,
                size=int(document.document.size),
            )
        )
    total = sum(entry.size for entry in found)
    if total > max_bytes():
        raise PackTooLarge(
            _(
                "The documents of this lot together are %(total)s MB, above the %(limit)s MB "
                "a pack may hold: download them one by one."
            ),
            field="documents",
            params={"total": _megabytes(total), "limit": _megabytes(max_bytes())},
        )
    return found


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


class _Chunks(io.RawIOBase):
    """Where `zipfile` writes: keeps what was written until the stream takes it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.offset += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.offset

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream(lot: Lot, entries: list[Entry]) -> Iterator[bytes]:
    """The archive, chunk by chunk: each document, then the index (which names their hashes)."""
    sink = _Chunks()
    listed: list[dict[str, Any]] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            digest = hashlib.sha256()
            with entry.field.open("rb") as source, archive.open(entry.name, "w") as target:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
                    yield sink.take()
            listed.append(
                {
                    "name": entry.name,
                    "title": entry.title,
                    "size": entry.size,
                    "sha256": digest.hexdigest(),
                }
            )
        archive.writestr("00 index.pdf", index_pdf(lot, listed))
    yield sink.take()


def index_pdf(lot: Lot, listed: list[dict[str, Any]]) -> bytes:
    url = documents.public_url(reverse("auction:lot", args=[lot.pk]))
    court = lot.auction.court
    html = render_to_string(
        "auction/public/document_pack_pdf.html",
        {
            **documents.letterhead(court),
            "lot": lot,
            "number": lot.reference,
            "title": documents.both(_("Documents of the lot")),
            "labels": {
                "lot": documents.both(_("Lot")),
                "asset": documents.both(_("Asset")),
                "auction": documents.both(_("Auction")),
                "made": documents.both(_("Pack made on")),
                "file": documents.both(_("File in the pack")),
                "size": documents.both(_("Size")),
                "none": documents.both(_("This lot has no documents.")),
            },
            "made_on": {
                code: formatting.format_moment(timezone.now(), court) for code in ("ar", "en")
            },
            "listed": [{**item, "kb": f"{item['size'] / 1024:.1f} KB"} for item in listed],
            "qr": documents.qr_data_uri(url),
            "url": url,
            "how": documents.both(_("Scan the code or open the address below to see the lot.")),
        },
    )
    return documents.write_pdf(html)
