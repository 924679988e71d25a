"""Electronic enforcement requests: filed online with a receipt, then accepted or rejected."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core import receipts
from core.errors import DomainError, PermissionDenied
from core.models import Receipt
from enforcement import services
from enforcement.models import EnforcementFile, EnforcementRequest
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA, pdf_upload, person

pytestmark = pytest.mark.django_db


def file_request(bidder, court, **overrides):
    arguments = {
        "applicant": bidder,
        "court": court,
        "debtor": person(),
        "instrument": services.Instrument("CHEQUE", "CHQ-778812", timezone.localdate()),
        "claim_minor": 4_500_000,
        "applicant_iban": IBAN_SA,
        "document": pdf_upload("cheque.pdf"),
    }
    arguments.update(overrides)
    return services.submit_request(**arguments)


def test_filing_online_issues_a_numbered_receipt_at_once(client, court, bidder):
    client.force_login(bidder)

    response = client.post(
        reverse("enforcement:request_create"),
        {
            "court": court.pk,
            "applicant_iban": "SA03 8000 0000 6080 1016 7519",
            "debtor_id_kind": "NATIONAL_ID",
            "debtor_id_country": "SA",
            "debtor_id_number": "1000000008",
            "debtor_name": "Khalid Al-Otaibi",
            "instrument_kind": "CHEQUE",
            "instrument_reference": "CHQ-1",
            "instrument_issued_on": "2026-02-01",
            "instrument_document": pdf_upload(),
            "claim": "45,000.00",
        },
    )

    request = EnforcementRequest.objects.get()
    assert response.status_code == 302
    assert request.claim_minor == 4_500_000
    assert request.receipt.number == f"RYC-ER-{request.receipt.issued_at.year}-000001"
    assert request.receipt.kind == Receipt.Kind.ENFORCEMENT_REQUEST
    assert request.receipt.issued_to == bidder
    assert receipts.is_intact(request.receipt)


def test_the_receipt_pdf_opens_and_its_qr_address_confirms_it(client, court, bidder):
    request = file_request(bidder, court)
    client.force_login(bidder)

    pdf = client.get(reverse("receipt_pdf", args=[request.receipt.number]))

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert request.receipt.number in text
    assert "CHQ-778812" in text
    url = receipts.verification_url(request.receipt)
    assert url.split("?h=")[1] == request.receipt.content_hash
    page = client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert page.status_code == 200
    assert "Genuine." in page.content.decode()


def test_a_tampered_receipt_hash_is_reported(client, court, bidder):
    request = file_request(bidder, court)
    forged = request.receipt.content_hash[::-1]

    page = client.get(reverse("receipt_verify", args=[request.receipt.number]), {"h": forged})

    assert "Does not match." in page.content.decode()


def test_the_receipt_content_is_frozen_in_both_languages(court, bidder):
    request = file_request(bidder, court)

    lines = {line["label"]["en"]: line["value"] for line in request.receipt.content["lines"]}
    assert lines["Claim amount"]["en"] == "SAR\xa045,000.00"
    assert "ر.س" in lines["Claim amount"]["ar"]
    assert request.receipt.content["title"]["ar"] == "تم استلام طلب التنفيذ"


def test_accepting_opens_the_file_with_the_applicant_and_debtor(court, staff, bidder):
    request = file_request(bidder, court)

    file = services.accept_request(actor=staff, request_id=request.pk)

    request.refresh_from_db()
    assert request.status == EnforcementRequest.Status.ACCEPTED
    assert file.claim_minor == 4_500_000
    applicant = file.file_parties.get(role="APPLICANT").party
    assert applicant.user == bidder
    assert applicant.iban == IBAN_SA
    assert file.file_parties.get(role="DEBTOR").party.id_number == "1000000008"
    assert file.instrument_document.name == request.instrument_document.name


def test_rejecting_needs_a_reason_the_applicant_reads(client, court, staff, bidder):
    request = file_request(bidder, court)

    with pytest.raises(DomainError) as refused:
        services.reject_request(actor=staff, request_id=request.pk, reason=" ")
    services.reject_request(actor=staff, request_id=request.pk, reason="The cheque is not signed.")

    assert refused.value.field == "reason"
    client.force_login(bidder)
    page = client.get(reverse("enforcement:request_detail", args=[request.pk])).content.decode()
    assert "The cheque is not signed." in page


def test_an_unverified_applicant_cannot_file(court):
    applicant = make_user("BIDDER", verified=False)

    with pytest.raises(PermissionDenied):
        file_request(applicant, court)

    assert not EnforcementRequest.objects.exists()
    assert not Receipt.objects.exists()


def test_staff_of_another_court_cannot_decide(court, other_court, bidder):
    request = file_request(bidder, court)
    outsider = make_user("EXECUTION_STAFF", court=other_court)

    with pytest.raises(DomainError) as refused:
        services.accept_request(actor=outsider, request_id=request.pk)

    assert refused.value.status == 404
    request.refresh_from_db()
    assert request.status == EnforcementRequest.Status.SUBMITTED
    assert not EnforcementFile.objects.exists()
