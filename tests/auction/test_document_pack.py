"""A lot's documents as one streamed ZIP with an index PDF; too large a pack is refused."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from auction.models import Auction
from enforcement.models import AssetDocument
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def pdf_bytes(text: str) -> bytes:
    from core import documents

    return documents.write_pdf(f"<html><body><p>{text}</p></body></html>")


def add_document(lot, title: str, content: bytes) -> AssetDocument:
    document = AssetDocument(
        asset=lot.asset,
        title=title,
        uploaded_by=make_user("EXECUTION_STAFF", court=lot.auction.court),
    )
    document.document.save("doc.pdf", ContentFile(content), save=False)
    document.save()
    return document


def test_the_pack_streams_every_document_and_an_index_naming_their_hashes(client, court):
    lot = factories.lot(court)
    deed, survey = pdf_bytes("Title deed 4471"), pdf_bytes("Survey report")
    add_document(lot, "صك الملكية", deed)
    add_document(lot, "Survey / report", survey)

    response = client.get(reverse("auction:lot_documents", args=[lot.pk]))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "00 index.pdf",
        "01 صك الملكية.pdf",
        "02 Survey report.pdf",
    ]
    assert archive.read("01 صك الملكية.pdf") == deed
    assert archive.read("02 Survey report.pdf") == survey
    index = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(archive.read("00 index.pdf"))).pages
    )
    assert lot.reference in index
    assert hashlib.sha256(deed).hexdigest()[:16] in index.replace("\n", "")


def test_a_lot_without_documents_gets_an_index_saying_so(client, court):
    lot = factories.lot(court)

    response = client.get(reverse("auction:lot_documents", args=[lot.pk]))

    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["00 index.pdf"]


def test_a_pack_over_the_limit_is_refused_before_streaming_with_the_sizes(client, court, settings):
    settings.LOT_DOCUMENT_PACK_MAX_BYTES = 1_000
    lot = factories.lot(court)
    add_document(lot, "Deed", pdf_bytes("x" * 2_000))

    response = client.get(reverse("auction:lot_documents", args=[lot.pk]))

    assert response.status_code == 413
    assert not response.streaming
    assert "download them one by one" in response.content.decode()


@pytest.mark.parametrize("lot_id", ["draft", "missing"])
def test_a_draft_or_unknown_lot_has_no_pack(client, court, lot_id):
    draft = factories.auction(court, status=Auction.Status.DRAFT)
    lot = factories.lot(court, the_auction=draft, status="SCHEDULED")
    target = lot.pk if lot_id == "draft" else lot.pk + 1000

    response = client.get(reverse("auction:lot_documents", args=[target]))

    assert response.status_code == 404


def test_only_get_is_answered(client, court):
    lot = factories.lot(court)

    assert client.post(reverse("auction:lot_documents", args=[lot.pk])).status_code == 405
