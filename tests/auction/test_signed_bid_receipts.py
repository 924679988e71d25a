"""Signed bid receipts: the lot's chain hash, the court's Ed25519 signature, the downloads
from "My auctions", the public verification page and the offline command."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import UTC

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from auction.bidding import decide as bidding
from auction.models import Bid
from core import receipt_signing
from core.models import Receipt
from tests.auction import factories

VERIFY = "/receipts/verify/"


def _raw_key() -> str:
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


@pytest.fixture
def court_key(settings):
    settings.AUDIT_SIGNING_KEY = _raw_key()
    settings.RECEIPT_SIGNING_KEYS = {"RYC": _raw_key()}
    return settings.RECEIPT_SIGNING_KEYS["RYC"]


@pytest.fixture
def bidding_lot(court, court_key):
    lot = factories.lot(court, opening_minor=1_000)
    mine, other = factories.registered_bidder(lot), factories.registered_bidder(lot)
    for user, amount in ((mine, 1_000), (other, 1_200), (mine, 1_500)):
        assert bidding.place_bid(
            lot_id=lot.pk, user_id=user.bidder_id, amount_minor=amount
        ).accepted
    return lot, mine, other


def _download(client: Client, lot_id: int, seq: int, fmt: str):
    return client.get(reverse(f"auction:bid_receipt_{fmt}", args=[lot_id, seq]))


def _changed(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert raw.count(old) == 1
    changed = raw.replace(old, new)
    assert len(changed) == len(raw)
    return changed


def _recompute_chain(lot_id: int, seq: int) -> str:
    """The chain as docs/bid-receipts.md writes it, independently of the code under test."""
    link = "0" * 64
    for bid in Bid.objects.filter(lot_id=lot_id, seq__lte=seq).order_by("seq"):
        fields = {
            "amount_minor": bid.amount_minor,
            "currency": bid.lot.currency,
            "lot": lot_id,
            "paddle": bid.registration.paddle,
            "prev": link,
            "seq": bid.seq,
            "server_time": bid.received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        link = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return link


@pytest.mark.django_db
def test_a_signed_receipt_verifies_and_one_changed_byte_does_not(bidding_lot, tmp_path):
    lot, mine, _other = bidding_lot
    client = Client()
    client.force_login(mine.bidder)
    page = client.get(reverse("auction:mine")).content.decode()
    assert reverse("auction:bid_receipt_json", args=[lot.pk, 3]) in page
    assert reverse("auction:bid_receipt_pdf", args=[lot.pk, 3]) in page

    response = _download(client, lot.pk, 3, "json")

    assert response.status_code == 200
    raw = response.content
    document = json.loads(raw)
    assert raw == receipt_signing.canonical(document)  # sorted keys, no whitespace, UTF-8
    signed = document["receipt"]
    assert signed["lot"] == lot.pk
    assert (signed["seq"], signed["amount_minor"], signed["currency"]) == (3, 1_500, "SAR")
    assert signed["paddle"] == mine.paddle
    assert signed["court"] == "RYC"
    assert signed["chain_hash"] == _recompute_chain(lot.pk, 3)
    keys = client.get("/.well-known/mazad-receipt-keys.json").json()["keys"]
    court_entry = next(k for k in keys if k["court"] == "RYC")
    assert document["key_id"] == court_entry["key_id"]
    assert court_entry["algorithm"] == "Ed25519"
    assert _download(client, lot.pk, 3, "json").content == raw  # issued once, same bytes
    assert Receipt.objects.filter(kind=Receipt.Kind.BID).count() == 1

    # The public page (anyone, no account) and the command with only the keys file.
    assert Client().post(VERIFY, {"document": raw.decode()}).status_code == 200
    good = tmp_path / "receipt.json"
    good.write_bytes(raw)
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": keys}))
    out = io.StringIO()
    call_command("verify_bid_receipt", str(good), "--keys", str(keys_file), stdout=out)
    assert out.getvalue().startswith("VALID")

    amount = _changed(raw, b'"amount_minor":1500', b'"amount_minor":1900')
    sig = document["signature"]
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    signature = _changed(raw, sig.encode(), flipped.encode())
    for bad in (amount, signature):
        answer = Client().post(VERIFY, {"document": bad.decode()})
        assert answer.status_code == 422
        assert 'data-code="receipt_bad_signature"' in answer.content.decode()
        path = tmp_path / "bad.json"
        path.write_bytes(bad)
        with pytest.raises(CommandError, match="receipt_bad_signature") as failure:
            call_command("verify_bid_receipt", str(path), "--keys", str(keys_file))
        assert failure.value.returncode == 1


@pytest.mark.django_db
def test_the_pdf_prints_the_signature_and_key_id(bidding_lot):
    lot, mine, _other = bidding_lot
    client = Client()
    client.force_login(mine.bidder)

    pdf = _download(client, lot.pk, 1, "pdf")

    assert pdf["Content-Type"] == "application/pdf"
    document = json.loads(_download(client, lot.pk, 1, "json").content)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = "".join(text.split())
    assert document["key_id"] in flat
    assert document["signature"] in flat
    assert document["receipt"]["chain_hash"] in flat
    assert Receipt.objects.get(kind=Receipt.Kind.BID).number in text


@pytest.mark.django_db
def test_a_court_without_its_own_key_signs_with_the_platforms(bidding_lot, settings):
    lot, mine, _other = bidding_lot
    settings.RECEIPT_SIGNING_KEYS = {}
    client = Client()
    client.force_login(mine.bidder)

    document = json.loads(_download(client, lot.pk, 1, "json").content)

    platform = next(k for k in receipt_signing.published_keys() if k["court"] == "platform")
    assert document["key_id"] == platform["key_id"]
    raw = receipt_signing.serialize(document)
    assert receipt_signing.verify(raw, receipt_signing.published_keys()).valid


@pytest.mark.django_db
def test_another_bidders_receipt_is_never_handed_out(bidding_lot):
    lot, _mine, other = bidding_lot
    attacker = Client()
    attacker.force_login(other.bidder)

    for seq in (1, 3):  # the victim's bids
        for fmt in ("pdf", "json"):
            assert _download(attacker, lot.pk, seq, fmt).status_code == 404
    assert _download(attacker, lot.pk, 99, "json").status_code == 404
    anonymous = _download(Client(), lot.pk, 1, "json")
    assert anonymous.status_code == 302
    assert not Receipt.objects.exists()
    assert (
        reverse("auction:bid_receipt_json", args=[lot.pk, 1])
        not in attacker.get(reverse("auction:mine")).content.decode()
    )


@pytest.mark.django_db
def test_the_chain_hash_recomputed_from_the_bids_matches_every_receipt(bidding_lot):
    lot, mine, other = bidding_lot
    hashes = []
    for bidder, seq in ((mine, 1), (other, 2), (mine, 3)):
        client = Client()
        client.force_login(bidder.bidder)
        document = json.loads(_download(client, lot.pk, seq, "json").content)
        assert document["receipt"]["chain_hash"] == _recompute_chain(lot.pk, seq)
        hashes.append(document["receipt"]["chain_hash"])
    assert len(set(hashes)) == 3
    # The frozen receipt names the same chain hash as the signed document.
    receipt = Receipt.objects.get(subject_id=str(Bid.objects.get(lot=lot, seq=3).pk))
    assert hashes[2] in json.dumps(receipt.content)


@pytest.mark.django_db
def test_the_page_answers_bad_input_with_the_reason_and_never_a_5xx(bidding_lot, settings):
    lot, mine, _other = bidding_lot
    client = Client()
    client.force_login(mine.bidder)
    raw = _download(client, lot.pk, 1, "json").content
    document = json.loads(raw)
    missing = {k: v for k, v in document.items() if k != "signature"}
    unknown = {**document, "key_id": "ed25519:0000000000000000"}
    pretty = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    cases = {
        "receipt_not_json": "this is not { json",
        "receipt_too_large": "x" * (receipt_signing.MAX_BYTES + 10),
        "receipt_malformed": receipt_signing.canonical(missing).decode(),
        "receipt_unknown_key": receipt_signing.canonical(unknown).decode(),
        "receipt_not_canonical": pretty,
    }
    public = Client()
    for language, word in (("en", "Invalid."), ("ar", "غير صالح.")):
        for code, text in cases.items():
            response = public.post(
                VERIFY, {"document": text}, headers={"accept-language": language}
            )
            body = response.content.decode()
            assert response.status_code == 422, code
            assert f'data-code="{code}"' in body, code
            assert word in body
    assert (
        "signature"
        in public.post(VERIFY, {"document": cases["receipt_malformed"]}).content.decode()
    )
    assert public.post(VERIFY, {"document": "[1, 2]"}).status_code == 422
    assert public.post(VERIFY, {"document": ""}).status_code == 422
    assert public.post(VERIFY, {"document": "\xff\x00"}).status_code == 422
    upload = io.BytesIO(b"\xff\xfe not utf-8")
    upload.name = "receipt.json"
    answer = public.post(VERIFY, {"file": upload})
    assert answer.status_code == 422
    assert 'data-code="receipt_not_json"' in answer.content.decode()
    valid_upload = io.BytesIO(raw)
    valid_upload.name = "receipt.json"
    assert public.post(VERIFY, {"file": valid_upload}).status_code == 200
    assert public.get(VERIFY).status_code == 200


@pytest.mark.django_db
def test_the_command_needs_no_database_with_a_keys_file(bidding_lot, tmp_path, django_db_blocker):
    lot, mine, _other = bidding_lot
    client = Client()
    client.force_login(mine.bidder)
    raw = _download(client, lot.pk, 1, "json").content
    keys = client.get("/.well-known/mazad-receipt-keys.json").content
    receipt_path, keys_path = tmp_path / "r.json", tmp_path / "k.json"
    receipt_path.write_bytes(raw + b"\n")  # as saved by an editor
    keys_path.write_bytes(keys)

    with django_db_blocker.block():
        out = io.StringIO()
        call_command("verify_bid_receipt", str(receipt_path), "--keys", str(keys_path), stdout=out)
        assert "VALID" in out.getvalue()
        other_keys = tmp_path / "other.json"
        other_keys.write_text(json.dumps([{**json.loads(keys)["keys"][0], "key_id": "x"}]))
        with pytest.raises(CommandError, match="receipt_unknown_key"):
            call_command("verify_bid_receipt", str(receipt_path), "--keys", str(other_keys))
        with pytest.raises(CommandError) as unreadable:
            call_command("verify_bid_receipt", str(tmp_path / "absent.json"))
        assert unreadable.value.returncode == 2
