"""Receipts, certificates and agency letters as official records a screen reader can read.

Every document is tagged PDF/UA-1, gives back its Arabic words to a text extractor as typed,
carries the court's letterhead and seal in both languages, and a QR code and link to the
configured public address. Each kind's first page is drawn into tests/artifacts to be looked at,
in both languages: a letter as written in Arabic and in English, a receipt or certificate as an
Arabic and an English reader download it (the same bilingual record for both).
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts.organisations import Agency
from aftersale import services as aftersale
from aftersale.models import Sale
from core import documents as official
from core import receipts
from enforcement import letters, services
from enforcement.models import AgencyLetter
from payments import services as payments
from payments.models import Method, Payment
from tests.aftersale import helpers
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA, open_file, pdf_upload, person

pytestmark = pytest.mark.django_db

PUBLIC = "https://mazad.courts.example"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "documents"


@pytest.fixture(autouse=True)
def _public_address(settings: Any) -> None:
    settings.SITE_URL = PUBLIC
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "mirror.courts.example"]


def text_of(pdf: bytes) -> str:
    """The extracted text, its line breaks (where the page wrapped) read as spaces."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def enforcement_request(court: Any) -> Any:
    return services.submit_request(
        applicant=make_user("BIDDER", verified=True),
        court=court,
        debtor=person(),
        instrument=services.Instrument("CHEQUE", "CHQ-778812", timezone.localdate()),
        claim_minor=4_500_000,
        applicant_iban=IBAN_SA,
        document=pdf_upload("cheque.pdf"),
    )


def paid_sale(court: Any) -> Sale:
    """A lot sold and paid in full by bank transfer: certificate and ownership letter issued."""
    Agency.objects.create(
        code="SA-TRAFFIC", kind="TRAFFIC", country="SA", name_ar="المرور", name_en="Traffic"
    )
    finance = make_user("FINANCE_STAFF", court=court)
    make_user("EXECUTION_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, price=5_000_000, deposit=400_000)
    type(sale.buyer).objects.filter(pk=sale.buyer_id).update(
        id_country="SA", id_number="1098765432"
    )
    sale.buyer.refresh_from_db()
    aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER)
    payment = Payment.objects.filter(payer=sale.buyer, purpose="BALANCE").get()
    payments.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line 7")
    return Sale.objects.select_related("certificate", "ownership_letter").get(pk=sale.pk)


def english_letter(court: Any) -> AgencyLetter:
    agency = Agency.objects.create(
        code="UK-LAND",
        kind="LAND_REGISTRY",
        country="GB",
        name_ar="سجل الأراضي",
        name_en="Land Registry",
    )
    staff = make_user("EXECUTION_STAFF", court=court)
    file = open_file(staff)
    return services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind=AgencyLetter.Subject.INQUIRY,
        language="en",
        due_on=timezone.localdate() + timedelta(days=10),
    )


def first_page_png(pdf: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(ARTIFACTS / name),
        ],
        check=True,
    )
    return ARTIFACTS / f"{name}.png"


def is_tagged_ua(pdf: bytes) -> tuple[bool, str]:
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    marked = bool(root.get("/MarkInfo", {}).get("/Marked"))
    metadata = root["/Metadata"].get_object().get_data().decode() if "/Metadata" in root else ""
    return marked and "/StructTreeRoot" in root and "pdfuaid:part" in metadata, str(
        root.get("/Lang")
    )


@pytest.fixture
def documents(court: Any) -> dict[str, Any]:
    """One of each kind: a payment receipt, a request receipt, a certificate, two letters."""
    sale = paid_sale(court)
    deposit = Payment.objects.filter(payer=sale.buyer, purpose="DEPOSIT").get()
    return {
        "payment": deposit.receipt,
        "request": enforcement_request(court).receipt,
        "certificate": sale.certificate,
        "letter_ar": sale.ownership_letter,
        "letter_en": english_letter(court),
    }


def pdf_of(document: Any) -> bytes:
    if isinstance(document, AgencyLetter):
        return letters.render_pdf(document)
    return receipts.render_pdf(document)


@pytest.mark.parametrize("kind", ["payment", "request", "certificate", "letter_ar", "letter_en"])
def test_every_document_is_tagged_pdf_ua_with_its_language_and_a_drawn_first_page(documents, kind):
    pdf = pdf_of(documents[kind])

    tagged, language = is_tagged_ua(pdf)
    png = first_page_png(pdf, kind)

    assert tagged
    assert language == "en"
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("kind", ["payment", "request", "certificate", "letter_ar", "letter_en"])
def test_every_document_carries_the_courts_letterhead_in_both_languages(documents, kind, court):
    text = text_of(pdf_of(documents[kind]))

    assert court.name_ar in text
    assert court.name_en in text
    assert "إدارة التنفيذ" in text
    assert "Execution department" in text
    assert "للمزادات القضائية الإلكترونية" in text


@pytest.mark.parametrize("kind", ["payment", "request", "certificate", "letter_ar", "letter_en"])
def test_the_link_is_the_configured_public_address_whatever_host_served_the_pdf(
    client, documents, kind
):
    document = documents[kind]
    if isinstance(document, AgencyLetter):
        client.force_login(make_user("EXECUTION_STAFF", court=document.court))
        response = client.get(
            reverse("enforcement:letter_pdf", args=[document.pk]), HTTP_HOST="mirror.courts.example"
        )
        path = reverse("letter_verify", args=[document.number])
    else:
        client.force_login(document.issued_to)
        response = client.get(
            reverse("receipt_pdf", args=[document.number]), HTTP_HOST="mirror.courts.example"
        )
        path = reverse("receipt_verify", args=[document.number])

    text = re.sub(r"\s+", "", text_of(response.content))
    assert response.status_code == 200
    assert f"{PUBLIC}{path}?h=" in text
    assert "mirror.courts.example" not in text
    assert "testserver" not in text


def test_references_and_amounts_keep_their_order_in_the_arabic_column(documents):
    request = documents["request"]

    text = text_of(receipts.render_pdf(request))

    assert text.count(request.number) >= 2
    assert text.count("CHQ-778812") == 2
    assert "شيك" in text
    assert "Cheque" in text
    assert "45,000.00" in text


def test_the_request_receipt_has_one_number_the_receipts_own(documents):
    request = documents["request"]

    text = text_of(receipts.render_pdf(request))

    assert "Request number" not in text
    assert "acknowledges receipt of the enforcement request" in text
    assert "verify this receipt" in text


def test_dates_are_written_day_month_year_in_each_language(documents):
    receipt = documents["payment"]

    text = text_of(receipts.render_pdf(receipt))

    paid_on = next(line for line in receipt.content["lines"] if line["label"]["en"] == "Paid on")
    assert re.match(r"\d{1,2} December \d{4}, \d\d:\d\d \(", paid_on["value"]["en"])
    assert re.match(r"\d{1,2} ديسمبر \d{4}، الساعة \d\d:\d\d \(", paid_on["value"]["ar"])
    assert "ديسمبر" in text
    assert "December" in text
    assert not re.search(r"ديسمبر \d+, \d{4}", text)


def test_the_sale_certificate_is_worded_as_a_certificate_and_masks_the_buyers_identity(documents):
    certificate = documents["certificate"]

    text = text_of(receipts.render_pdf(certificate))

    assert "certifies that the asset described below was sold" in text
    assert "verify this certificate" in text
    assert "receipt" not in text.replace("Receipt", "").lower().replace("receipts/", "")
    assert "1098765432" not in text
    assert "••••••5432" in text
    assert "1098765432" not in str(certificate.content)


def test_the_arabic_words_of_every_receipt_extract_as_typed(documents):
    for kind in ("payment", "request", "certificate"):
        receipt = documents[kind]

        text = text_of(receipts.render_pdf(receipt))

        for line in receipt.content["lines"]:
            assert line["label"]["ar"] in text, (kind, line["label"]["ar"])
        assert receipt.content["title"]["ar"] in text


def test_an_agency_letter_is_bilingual_with_its_text_as_sent(documents):
    arabic, english = documents["letter_ar"], documents["letter_en"]

    arabic_text = text_of(letters.render_pdf(arabic))
    english_text = text_of(letters.render_pdf(english))

    for text in (arabic_text, english_text):
        assert "Official letter" in text
        assert "خطاب رسمي" in text
        assert "Letter number" in text
        assert "رقم الخطاب" in text
        assert "verify this letter" in text
    assert "طلب نقل ملكية" in arabic_text
    assert arabic.file.number in arabic_text
    assert "as sent, in Arabic" in arabic_text
    assert english.subject in english_text
    assert "as sent, in English" in english_text


def test_the_letter_verification_page_confirms_a_genuine_letter_and_refuses_an_altered_one(
    client, documents
):
    letter = documents["letter_ar"]
    page = reverse("letter_verify", args=[letter.number])

    genuine = client.get(page, {"h": letters.content_hash(letter)})
    forged = client.get(page, {"h": "0" * 64})
    missing = client.get(reverse("letter_verify", args=["RYC-L-1999-000009"]))

    assert genuine.status_code == 200
    assert "Genuine." in genuine.content.decode()
    assert letter.agency.name_en in genuine.content.decode()
    assert "Does not match." in forged.content.decode()
    assert missing.status_code == 404


def test_the_receipt_verification_page_shows_kind_number_date_court_amount_and_masked_buyer(
    client, documents, court
):
    certificate = documents["certificate"]

    page = client.get(
        reverse("receipt_verify", args=[certificate.number]), {"h": certificate.content_hash}
    ).content.decode()

    assert "Sale certificate" in page
    assert certificate.number in page
    assert court.name_en in page
    total = next(line for line in certificate.content["lines"] if line.get("role") == "amount")
    assert total["label"]["en"] == "Total paid"
    assert total["value"]["en"].startswith("SAR")
    assert total["value"]["en"] in page
    assert certificate.issued_to.full_name in page
    assert "••••••5432" in page
    assert "1098765432" not in page


def test_the_receipt_verification_page_in_arabic_names_the_payer(client, documents, court):
    receipt = documents["payment"]
    client.cookies["django_language"] = "ar"

    page = client.get(
        reverse("receipt_verify", args=[receipt.number]),
        {"h": receipt.content_hash},
        HTTP_ACCEPT_LANGUAGE="ar",
    ).content.decode()

    assert court.name_ar in page
    assert receipt.issued_to.full_name in page
    assert "ر.س" in page


KINDS = ("payment", "request", "certificate", "letter")
ARABIC_WORD = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]+")


def drawn(
    documents: dict[str, Any], kind: str, language: str, monkeypatch: Any
) -> tuple[bytes, str]:
    """The PDF of `kind` in `language` and the HTML it was printed from."""
    printed: list[str] = []
    real = official.write_pdf

    def keeping(html: str) -> bytes:
        printed.append(html)
        return real(html)

    with monkeypatch.context() as patch, translation.override(language):
        patch.setattr(official, "write_pdf", keeping)
        pdf = pdf_of(documents[f"letter_{language}"] if kind == "letter" else documents[kind])
    return pdf, printed[0]


def words_shown(html: str) -> set[str]:
    """The Arabic words of the page's text: the body, without tags, attributes or styles."""
    body = html[html.index("<body") :]
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", body, flags=re.S)
    return set(ARABIC_WORD.findall(unescape(text)))


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_drawn_in_both_languages_and_gives_back_every_arabic_word_it_shows(
    documents, kind, monkeypatch
):
    texts = {}
    for language in ("ar", "en"):
        pdf, html = drawn(documents, kind, language, monkeypatch)
        png = first_page_png(pdf, f"{kind}-{language}")
        texts[language] = text_of(pdf)

        # Each word whole and in order of its letters. Where a label's cell meets its value's in
        # the Arabic column the extractor writes them without a space (the tagged structure
        # keeps them apart for a screen reader), so a word is looked for inside the text.
        shown = words_shown(html)
        lost = sorted(word for word in shown if word not in texts[language])
        assert len(shown) > 20, (kind, language, shown)
        assert not lost, (kind, language, lost)
        assert png.stat().st_size > 10_000
    if kind != "letter":  # one record, whatever the language of the reader who downloads it
        assert texts["ar"] == texts["en"]
