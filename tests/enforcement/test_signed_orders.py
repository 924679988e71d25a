"""Signed seizure orders and minutes: the judge signs in the workspace, anyone checks the PDF.

Signing uses the court's key through pyHanko (core/pdf_signing.py): here the development CA
made under the test settings' COURT_SIGNING_DEV_DIR, or a key configured as a court's IT
department would (a PKCS#12 file with a passphrase, a PEM file of another authority).
"""

from __future__ import annotations

import hashlib
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from core import pdf_signing
from core.errors import DomainError
from core.models import AuditRecord
from enforcement import selectors, services
from enforcement.models import SeizureOrder, SignedOrderDocument
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA

pytestmark = pytest.mark.django_db

VERIFY = "/receipts/verify/?kind=pdf"
_addresses = itertools.count(1)


def _address() -> str:
    """A client address of its own, so the page's rate limit counts only this test's checks."""
    return f"198.51.100.{next(_addresses) % 250 + 1}"


def requested(staff: Any, file: Any, agency: Any, kind: str = "BANK_FUNDS") -> SeizureOrder:
    target = (
        services.OrderTarget(iban=IBAN_SA)
        if kind == "BANK_FUNDS"
        else services.OrderTarget(party_id=file.file_parties.get(role="DEBTOR").party_id)
    )
    return services.request_order(
        actor=staff, file_id=file.pk, kind=kind, agency_id=agency.pk, target=target
    )


def signed_order(staff: Any, supervisor: Any, file: Any, agency: Any) -> SignedOrderDocument:
    order = requested(staff, file, agency)
    services.issue_order(actor=supervisor, order_id=order.pk)
    return order.signed_documents.get(kind=SignedOrderDocument.Kind.ORDER)


def pdf_of(document: SignedOrderDocument) -> bytes:
    with document.pdf.open("rb") as handle:
        return handle.read()


def check_page(client: Any, data: bytes, name: str = "order.pdf") -> Any:
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return client.post(VERIFY, {"pdf": upload}, REMOTE_ADDR=_address())


def other_authority_key(tmp_path: Path, code: str = "RYC") -> Path:
    """A court certificate for `code` from an authority the platform does not trust, as PEM."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Someone else's CA")])
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    made = pdf_signing.court_certificate(
        pdf_signing.CourtKey(ca_key, ca_cert, ()), code=code, name_en="Riyadh Execution Court"
    )
    path = tmp_path / "other.pem"
    path.write_bytes(
        made.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + made.certificate.public_bytes(serialization.Encoding.PEM)
        + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    return path


# --- signing and validating ---------------------------------------------------------------------


def test_issuing_an_order_signs_it_and_pyhanko_validates_it(staff, supervisor, file, agency):
    document = signed_order(staff, supervisor, file, agency)
    data = pdf_of(document)

    reader = PdfFileReader(io.BytesIO(data))
    (embedded,) = reader.embedded_signatures
    roots = [
        pdf_signing._asn1_cert(cert)  # the trust anchors, as pyHanko takes them
        for cert in pdf_signing.trust_roots()
    ]
    status = validate_pdf_signature(
        embedded, signer_validation_context=ValidationContext(trust_roots=roots)
    )

    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert str(embedded.sig_object["/Name"]) == supervisor.full_name
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    assert document.number.startswith(f"RYC-SO-{document.signed_at.year}-")
    assert document.signed_by == supervisor
    assert "RYC" in document.certificate_subject


def test_the_validation_function_names_signer_court_time_kind_and_number(
    staff, supervisor, file, agency
):
    document = signed_order(staff, supervisor, file, agency)

    check = pdf_signing.validate_signed_pdf(pdf_of(document))

    assert check.valid
    assert check.code == "signature_valid"
    assert check.intact
    assert check.trusted
    assert not check.modified_after_signing
    assert check.signer_name == supervisor.full_name
    assert check.court_code == "RYC"
    assert check.court_name == "Riyadh Execution Court"
    assert check.document_kind == "seizure-order"
    assert check.document_number == document.number
    assert check.signed_at is not None
    assert abs((check.signed_at - document.signed_at).total_seconds()) < 120


def test_the_order_pdf_is_bilingual_tagged_with_the_identity_masked(
    staff, supervisor, file, agency
):
    order = requested(staff, file, agency, kind="TRAVEL_BAN")
    services.issue_order(actor=supervisor, order_id=order.pk)
    data = pdf_of(order.signed_documents.get())
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    debtor = file.file_parties.get(role="DEBTOR").party

    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged PDF
    assert "Seizure order" in text
    assert "أمر حجز" in text or "حجز" in text
    assert debtor.id_number not in text
    assert debtor.id_number[-4:] in text


@pytest.mark.parametrize("where", ["start", "middle", "signature", "end"])
def test_one_changed_byte_makes_the_document_invalid(staff, supervisor, file, agency, where):
    data = bytearray(pdf_of(signed_order(staff, supervisor, file, agency)))
    contents = data.index(b"/Contents <") + len(b"/Contents <") + 40
    index = {"start": 20, "middle": len(data) // 3, "signature": contents, "end": len(data) - 8}
    data[index[where]] ^= 0x01

    check = pdf_signing.validate_signed_pdf(bytes(data))

    assert not check.valid
    assert check.code in {"signature_modified", "pdf_unreadable"}


def test_content_added_after_signing_is_reported(staff, supervisor, file, agency):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    data = pdf_of(signed_order(staff, supervisor, file, agency))
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/PageMode"] = generic.NameObject("/FullScreen")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    assert len(out.getvalue()) > len(data)

    check = pdf_signing.validate_signed_pdf(out.getvalue())

    assert not check.valid
    assert check.code == "signature_added_content"
    assert check.modified_after_signing


def test_a_pdf_signed_by_another_key_is_not_trusted(
    settings, tmp_path, staff, supervisor, file, agency
):
    settings.COURT_SIGNING_KEYS = {"RYC": str(other_authority_key(tmp_path))}

    document = signed_order(staff, supervisor, file, agency)
    check = pdf_signing.validate_signed_pdf(pdf_of(document))

    assert check.intact
    assert not check.trusted
    assert not check.valid
    assert check.code == "signature_untrusted"


def test_a_court_key_from_a_pkcs12_file_with_a_passphrase_signs_and_is_trusted(
    settings, tmp_path, monkeypatch, staff, supervisor, file, agency, court
):
    ca = pdf_signing._dev_ca()
    made = pdf_signing.court_certificate(ca, code="RYC", name_en=court.name_en)
    bundle = pkcs12.serialize_key_and_certificates(
        b"ryc",
        made.key,
        made.certificate,
        list(made.chain),
        serialization.BestAvailableEncryption(b"correct horse"),
    )
    (tmp_path / "ryc.p12").write_bytes(bundle)
    monkeypatch.setenv("COURT_SIGNING_PASSPHRASE_RYC", "correct horse")
    settings.COURT_SIGNING_KEYS = {"RYC": str(tmp_path / "ryc.p12")}
    settings.COURT_SIGNING_DEV_KEYS = False
    (tmp_path / "roots.pem").write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    settings.COURT_SIGNING_TRUST_ROOTS = [str(tmp_path / "roots.pem")]

    check = pdf_signing.validate_signed_pdf(pdf_of(signed_order(staff, supervisor, file, agency)))

    assert check.valid
    assert check.court_code == "RYC"


def test_without_a_key_an_order_cannot_be_issued_and_stays_requested(
    settings, staff, supervisor, file, agency
):
    settings.COURT_SIGNING_DEV_KEYS = False
    settings.COURT_SIGNING_KEYS = {}
    order = requested(staff, file, agency)

    with pytest.raises(DomainError) as refused:
        services.issue_order(actor=supervisor, order_id=order.pk)

    assert refused.value.code == "signing_not_configured"
    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.REQUESTED
    assert not SignedOrderDocument.objects.exists()


def test_a_key_file_that_does_not_load_refuses_signing_and_changes_nothing(
    settings, tmp_path, staff, supervisor, file, agency
):
    (tmp_path / "broken.p12").write_bytes(b"not a key")
    settings.COURT_SIGNING_KEYS = {"RYC": str(tmp_path / "broken.p12")}
    order = requested(staff, file, agency)

    with pytest.raises(DomainError) as refused:
        services.issue_order(actor=supervisor, order_id=order.pk)

    assert refused.value.code == "signing_failed"
    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.REQUESTED


def test_executing_an_order_signs_the_minutes_and_the_history_records_both(
    staff, supervisor, file, agency
):
    document = signed_order(staff, supervisor, file, agency)
    services.record_order_execution(
        actor=staff, order_id=document.order_id, amount_seized_minor=1_000_00
    )

    minutes = SignedOrderDocument.objects.get(kind=SignedOrderDocument.Kind.MINUTES)
    check = pdf_signing.validate_signed_pdf(pdf_of(minutes))
    actions = [entry.action for entry in selectors.history(file)]

    assert check.valid
    assert check.document_kind == "seizure-minutes"
    assert check.signer_name == staff.full_name
    assert minutes.number.startswith("RYC-SM-")
    assert "order.signed" in actions
    assert "order.minutes_signed" in actions
    record = AuditRecord.objects.get(action="order.minutes_signed")
    assert record.after["sha256"] == minutes.sha256


# --- the workspace -------------------------------------------------------------------------------


def test_the_judge_reads_the_draft_then_signs_deliberately(client, staff, supervisor, file, agency):
    order = requested(staff, file, agency)
    client.force_login(supervisor)
    page = reverse("enforcement:order_sign", args=[order.pk])

    shown = client.get(page)
    draft = client.get(reverse("enforcement:order_draft", args=[order.pk]))
    unconfirmed = client.post(page, {"reviewed": services.review_fingerprint(order)})
    order.refresh_from_db()
    still_requested = order.status

    signed = client.post(page, {"confirm": "on", "reviewed": services.review_fingerprint(order)})

    assert shown.status_code == 200
    assert draft.status_code == 200
    assert draft["Content-Type"] == "application/pdf"
    assert draft.content.startswith(b"%PDF-")
    assert not pdf_signing.validate_signed_pdf(draft.content).valid  # a draft is not signed
    assert unconfirmed.status_code == 400
    assert "Tick the box" in unconfirmed.content.decode()
    assert still_requested == SeizureOrder.Status.REQUESTED
    assert signed.status_code == 302
    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.ISSUED
    assert order.signed_documents.count() == 1


def test_signing_refuses_an_order_that_changed_since_the_judge_read_it(
    client, staff, supervisor, file, agency
):
    order = requested(staff, file, agency)
    fingerprint = services.review_fingerprint(order)
    SeizureOrder.objects.filter(pk=order.pk).update(target_note="Changed afterwards")
    client.force_login(supervisor)

    response = client.post(
        reverse("enforcement:order_sign", args=[order.pk]),
        {"confirm": "on", "reviewed": fingerprint},
    )

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.REQUESTED


def test_staff_cannot_sign_an_order(client, staff, file, agency):
    order = requested(staff, file, agency)
    client.force_login(staff)

    page = client.get(reverse("enforcement:order_sign", args=[order.pk]))
    post = client.post(
        reverse("enforcement:order_sign", args=[order.pk]),
        {"confirm": "on", "reviewed": services.review_fingerprint(order)},
    )

    assert page.status_code == 403
    assert post.status_code == 403
    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.REQUESTED


def test_the_signed_pdf_is_downloaded_by_the_courts_staff_only(
    client, staff, supervisor, file, agency, agency_user, other_court
):
    document = signed_order(staff, supervisor, file, agency)
    url = reverse("enforcement:signed_document", args=[document.pk])
    answers = {}
    for name, user in {
        "staff": staff,
        "judge": supervisor,
        "other_court": make_user("EXECUTION_STAFF", court=other_court),
        "other_judge": make_user("SUPERVISOR", court=other_court),
        "agency": agency_user,
        "bidder": make_user("BIDDER"),
    }.items():
        client.force_login(user)
        answers[name] = client.get(url)
    client.logout()
    anonymous = client.get(url)

    assert answers["staff"].status_code == 200
    assert b"".join(answers["staff"].streaming_content) == pdf_of(document)
    assert answers["judge"].status_code == 200
    assert answers["other_court"].status_code == 404
    assert answers["other_judge"].status_code == 404
    assert answers["agency"].status_code == 403
    assert answers["bidder"].status_code == 403
    assert anonymous.status_code == 302
    file_page = client.get(reverse("enforcement:file_detail", args=[file.pk]))
    assert file_page.status_code == 302


# --- the public page -----------------------------------------------------------------------------


def test_the_public_page_shows_a_signed_order_valid_with_who_which_court_and_number(
    client, staff, supervisor, file, agency
):
    document = signed_order(staff, supervisor, file, agency)

    response = check_page(client, pdf_of(document))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-pdf-verdict="valid"' in html
    assert document.number in html
    assert supervisor.full_name in html
    assert "Riyadh Execution Court" in html
    assert "PAdES B-B" in html


def test_the_public_page_shows_a_changed_byte_invalid(client, staff, supervisor, file, agency):
    data = bytearray(pdf_of(signed_order(staff, supervisor, file, agency)))
    data[len(data) // 3] ^= 0x01

    response = check_page(client, bytes(data))

    html = response.content.decode()

    assert response.status_code == 422
    assert 'data-pdf-verdict="invalid"' in html
    assert response.context["pdf_check"].code in {"signature_modified", "pdf_unreadable"}
    assert supervisor.full_name not in html  # nothing a changed file claims is shown as fact


def test_the_public_page_shows_another_keys_signature_not_trusted(
    client, settings, tmp_path, staff, supervisor, file, agency
):
    settings.COURT_SIGNING_KEYS = {"RYC": str(other_authority_key(tmp_path))}
    data = pdf_of(signed_order(staff, supervisor, file, agency))
    settings.COURT_SIGNING_KEYS = {}

    response = check_page(client, data)

    assert response.status_code == 422
    assert response.context["pdf_check"].code == "signature_untrusted"
    assert "Unknown signer" in response.content.decode()
    assert "data-pdf-signer-claimed" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "pdf_not_pdf"),
        (b"just text", "pdf_not_pdf"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 40, "pdf_unreadable"),
        (b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", "pdf_unreadable"),
    ],
    ids=["empty", "text", "binary", "no-xref"],
)
def test_garbage_is_refused_with_a_reason_never_a_server_error(client, data, code):
    response = check_page(client, data)

    assert response.status_code == 422
    assert response.context["pdf_check"].code in {code, "pdf_not_signed", "pdf_unreadable"}


def test_an_unsigned_pdf_is_reported_as_not_signed(client, staff, supervisor, file, agency):
    order = requested(staff, file, agency)
    draft = services.draft_pdf(actor=supervisor, order=order)

    response = check_page(client, draft)

    assert response.status_code == 422
    assert response.context["pdf_check"].code == "pdf_not_signed"


def test_no_file_and_a_too_large_upload_are_refused(client):
    missing = client.post(VERIFY, {}, REMOTE_ADDR=_address())
    large = client.post(
        VERIFY,
        {"pdf": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (pdf_signing.MAX_BYTES + 1))},
        REMOTE_ADDR=_address(),
    )

    assert missing.status_code == 422
    assert missing.context["pdf_check"].code == "required"
    assert large.status_code == 422
    assert large.context["pdf_check"].code == "pdf_too_large"


def test_the_public_page_limits_checks_per_address(client, settings):
    from core import views

    address = "203.0.113.77"
    answers = [
        client.post(
            VERIFY, {"pdf": SimpleUploadedFile("x.pdf", b"x")}, REMOTE_ADDR=address
        ).status_code
        for _ in range(views.PDF_CHECKS_PER_WINDOW + 1)
    ]

    assert answers[:-1] == [422] * views.PDF_CHECKS_PER_WINDOW
    assert answers[-1] == 429


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_public_page_speaks_both_languages(client, language, staff, supervisor, file, agency):
    document = signed_order(staff, supervisor, file, agency)
    client.cookies["mazad_language"] = language

    html = check_page(client, pdf_of(document)).content.decode()

    assert ("صحيح" in html or "صالح" in html) if language == "ar" else "Valid." in html


def test_the_numbers_public_page_names_kind_court_and_hash(client, staff, supervisor, file, agency):
    document = signed_order(staff, supervisor, file, agency)

    known = client.get(reverse("signed_document_verify", args=[document.number]))
    unknown = client.get(reverse("signed_document_verify", args=["RYC-SO-1999-000001"]))

    assert known.status_code == 200
    assert document.sha256 in known.content.decode()
    assert IBAN_SA not in known.content.decode()  # nothing of what the order seizes
    assert unknown.status_code == 404
