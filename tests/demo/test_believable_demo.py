"""The demo of `make run` is believable: market prices, each court in its own country, debts
sized to what was seized, a picture of its own for every asset, months of past sales, and
Arabic pages without English in them.

The demo is loaded once for the module (it takes a while) and rolled back at the end.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from lxml import html
from PIL import Image, ImageChops, ImageStat

from accounts.models import User
from aftersale import selectors as aftersale_selectors
from aftersale.models import Disbursement, Distribution, Sale
from auction.models import Lot
from core import audit_chain
from core.money import exponent
from demo import catalogue
from demo.enforcement import COUNTRY_OF_COURT
from enforcement import selectors as enforcement_selectors
from enforcement.models import (
    AgencyLetter,
    EnforcementFile,
    Party,
    SeizedAsset,
    SeizureOrder,
)
from payments.models import Payment
from support.models import Ticket

# Loading the demo renders and signs each seizure order and its minutes (a PDF each).
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(1200)]

# What an asset of each kind may be worth in each market (major units), wide on purpose:
# a 2017 mid-size car is not SAR 950,000, and a Land Cruiser is not KWD 1.09 million.
VALUE_RANGES = {
    ("VEHICLE", "SAR"): (25_000, 350_000),
    ("VEHICLE", "KWD"): (2_000, 30_000),
    ("APARTMENT", "SAR"): (400_000, 1_500_000),
    ("APARTMENT", "KWD"): (55_000, 220_000),
    ("VILLA", "SAR"): (1_200_000, 4_500_000),
    ("VILLA", "KWD"): (250_000, 1_200_000),
    ("LAND", "SAR"): (1_000_000, 5_000_000),
    ("LAND", "KWD"): (220_000, 1_000_000),
    ("SHOP", "SAR"): (350_000, 1_800_000),
    ("SHOP", "KWD"): (70_000, 450_000),
}


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", verbosity=0)
        call_command("seed_payments_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


def value_of(asset: SeizedAsset) -> int | None:
    appraisal = enforcement_selectors.latest_appraisal(asset)
    return appraisal.value_minor // 10 ** exponent(asset.currency) if appraisal else None


def property_kind(asset: SeizedAsset) -> str:
    return next(p.kind for p in catalogue.PROPERTIES if asset.title.startswith(p.title_ar))


def kind_of(asset: SeizedAsset) -> str:
    return "VEHICLE" if asset.kind == "VEHICLE" else property_kind(asset)


def test_every_appraisal_is_in_the_range_of_its_market(demo):
    appraised = [(asset, value_of(asset)) for asset in SeizedAsset.objects.all()]

    for asset, value in appraised:
        if value is None:
            continue
        low, high = VALUE_RANGES[(kind_of(asset), asset.currency)]
        assert low <= value <= high, (asset.title, asset.currency, value)
        if asset.kind == "VEHICLE":
            model = next(
                v for v in catalogue.VEHICLES if (v.make, v.model) == (asset.make, asset.model)
            )
            cheapest, dearest = (
                Decimal(price) / catalogue.SAR_PER_UNIT[asset.currency] for price in model.price_sar
            )
            assert cheapest * Decimal("0.75") <= value <= dearest * Decimal("1.05"), asset.title
            assert 8_000 <= asset.mileage_km // max(1, 2026 - asset.year) <= 26_000
        else:
            per_m2 = Decimal(value) / asset.area_m2
            item = next(p for p in catalogue.PROPERTIES if p.kind == property_kind(asset))
            low_m2, high_m2 = item.per_m2[asset.currency]
            # The price is rounded down to a round sum, a little below the rate.
            assert low_m2 * Decimal("0.97") <= per_m2 <= high_m2, (asset.title, per_m2)
    kinds = {(kind_of(a), a.court.code) for a, value in appraised if value is not None}
    assert {("APARTMENT", "RYC"), ("VILLA", "KWC"), ("VEHICLE", "RYC"), ("VEHICLE", "KWC")} <= kinds


def test_opening_and_winning_prices_follow_the_appraisal(demo):
    lots = Lot.objects.select_related("asset")

    for lot in lots:
        appraisal = enforcement_selectors.latest_appraisal(lot.asset).value_minor
        assert appraisal // 2 <= lot.opening_minor <= appraisal
        if lot.price_minor is not None:
            assert lot.opening_minor <= lot.price_minor <= appraisal * 3 // 2
    assert Sale.objects.count() >= 20


def test_each_court_keeps_to_its_own_country(demo):
    for code, country_code in COUNTRY_OF_COURT.items():
        country = catalogue.COUNTRIES[country_code]
        others = [c for c in catalogue.COUNTRIES.values() if c.code != country_code]
        foreign_places = {
            name
            for other in others
            for place in other.places
            for name in (place.district_ar, place.district_en, place.city_ar, place.city_en)
        }
        own = {(p.city_ar, p.district_ar) for p in country.places}
        assets = SeizedAsset.objects.filter(court__code=code)

        orders = SeizureOrder.objects.filter(file__court__code=code).select_related("agency")
        letters = AgencyLetter.objects.filter(court__code=code).select_related("agency")

        assert {order.agency.country for order in orders} == {country_code}
        assert {letter.agency.country for letter in letters} == {country_code}
        assert {party.id_country for party in Party.objects.filter(court__code=code)} == {
            country_code
        }
        assert all(
            party.iban.startswith(country_code)
            for party in Party.objects.filter(court__code=code)
            if party.iban
        )
        assert {asset.currency for asset in assets} == {country.currency}
        for asset in assets.filter(kind="REAL_ESTATE"):
            assert (asset.city, asset.district) in own, asset.title
        for asset in assets:
            text = " ".join([asset.title, asset.description, asset.custody_location])
            assert not [name for name in foreign_places if name in text], asset.title
        if country_code == "SA":
            assert "حولي" not in " ".join(assets.values_list("title", flat=True))


def test_debts_are_sized_to_what_was_seized(demo):
    files = EnforcementFile.objects.prefetch_related("assets")

    for file in files:
        values = [value_of(asset) or 0 for asset in file.assets.all()]
        claim = (file.claim_minor + file.costs_minor) // 10 ** exponent(file.currency)
        assert len(values) <= 2, file.number
        if values:
            # Nothing seized beyond the debt: without the largest asset the rest fall short.
            assert sum(values) - max(values) < claim, file.number
            assert sum(values) <= 2 * claim, file.number
        bank = file.orders.filter(kind="BANK_FUNDS").exclude(amount_seized_minor=None)
        for order in bank:
            assert order.amount_seized_minor <= file.claim_minor
    for distribution in Distribution.objects.prefetch_related("lines"):
        total = sum(line.amount_minor for line in distribution.lines.all())
        surplus = sum(
            line.amount_minor for line in distribution.lines.all() if line.step == "SURPLUS"
        )
        assert surplus <= total // 4, distribution.number


def test_every_asset_has_pictures_of_its_own_and_sold_lots_show_them(demo, client):
    assets = list(SeizedAsset.objects.prefetch_related("photos").order_by("pk"))
    prints = []

    for asset in assets:
        photos = list(asset.photos.all())
        assert len(photos) == 2, asset.title
        with photos[0].image.open("rb") as source:
            prints.append(Image.open(io.BytesIO(source.read())).convert("L").resize((48, 32)))
    for number, first in enumerate(prints):
        for second in prints[number + 1 :]:
            difference = ImageStat.Stat(ImageChops.difference(first, second)).mean[0]
            # A mean grey difference of 1.5 at 48x32 is a plan or a scene visibly its own;
            # two copies of one picture (JPEG noise aside) differ by well under 0.5.
            assert difference > 1.5, "two assets share a picture"
    sold = Lot.objects.filter(status="SOLD").select_related("asset")
    assert sold.exists()
    for lot in sold:
        page = client.get(f"/lots/{lot.pk}/").content.decode()
        photo = lot.asset.photos.first()
        assert f"/workspace/photos/{photo.pk}/full.jpg" in page
        answer = client.get(f"/workspace/photos/{photo.pk}/full.jpg")
        assert (answer.status_code, answer["Content-Type"]) == (200, "image/jpeg")
    buyer = Client()
    buyer.force_login(User.objects.get(email="bidder1@mazad.example"))
    purchases = buyer.get("/purchases/").content.decode()
    for sale in Sale.objects.filter(buyer__email="bidder1@mazad.example").select_related("lot"):
        photo = sale.lot.asset.photos.first()
        assert f"/workspace/photos/{photo.pk}/thumb.jpg" in purchases
        page = buyer.get(f"/purchases/{sale.public_id}/").content.decode()
        assert f"/workspace/photos/{photo.pk}/full.jpg" in page


def test_the_courts_have_months_of_sales_paid_and_distributed(demo):
    for code in COUNTRY_OF_COURT:
        sales = Sale.objects.filter(lot__auction__court__code=code, status="PAID")
        months = {sale.lot.closed_at.strftime("%Y-%m") for sale in sales}
        paid = Disbursement.objects.filter(court__code=code, status="PAID")
        court = sales.first().lot.auction.court

        flows = aftersale_selectors.flows(court)

        assert sales.count() >= 10
        assert len(months) >= 4
        assert Distribution.objects.filter(court=court, status="FINAL").count() >= 8
        assert paid.count() >= 10
        assert sum(1 for amount in flows["inflow"] if amount) >= 6
        assert sum(1 for amount in flows["outflow"] if amount) >= 4
        assert EnforcementFile.objects.filter(court=court, status="SATISFIED").exists()
        assert all(item.paid_at <= timezone.now() for item in paid)
    audit_chain.link_pending(limit=100_000)
    assert audit_chain.verify_all() == []


# -- no English inside Arabic pages -----------------------------------------------------------

# Words a person reads in Latin script on an Arabic page, on purpose: the ISO codes of the
# currencies, the names of file formats, and the other language offered by the switch.
ALLOWED_WORDS = {"SAR", "KWD", "VIN", "IBAN", "CVC", "PDF", "CSV", "JSON", "XLSX", "JPEG", "PNG"}
ALLOWED_WORDS |= {"WebP", "English"}
# A reference, a plate, a VIN or an IBAN group: capitals and digits (at least one digit).
REFERENCE = re.compile(r"^(?=.*\d)[A-Z0-9][A-Z0-9/._-]*$")
# The payment provider's id of a payout, transfer or account (shown to finance staff).
PROVIDER_ID = re.compile(r"^(po|tr|acct|pi|re)_[A-Za-z0-9]+$")
# A signed document's SHA-256 (whole, or its first characters), shown so anyone can compare it.
DIGEST = re.compile(r"^[0-9a-f]{16,64}$")
PUNCTUATION = "()[]{}«»\"'.,:;!?،؛·—–…‏‎"


def latin_words(text: str) -> set[str]:
    words = set()
    for token in text.split():
        word = token.strip(PUNCTUATION)
        if re.search(r"[A-Za-z]", word):
            words.add(word)
    return words


def allowed_words() -> set[str]:
    """Names (people, companies), vehicles' makes and models, and the groups of plates and
    IBANs; the demo's payment descriptions are references of the payment service."""
    words = set(ALLOWED_WORDS)
    for name in User.objects.values_list("full_name", flat=True):
        words |= latin_words(name)
    for name in Party.objects.values_list("name_en", flat=True):
        words |= latin_words(name)
    for vehicle in catalogue.VEHICLES:
        words |= latin_words(f"{vehicle.make} {vehicle.model}")
    for plate in SeizedAsset.objects.exclude(plate="").values_list("plate", flat=True):
        words |= latin_words(plate)
    for iban in Party.objects.exclude(iban="").values_list("iban", flat=True):
        words |= {iban[i : i + 4] for i in range(0, len(iban), 4)}
    for description in Payment.objects.values_list("description", flat=True):
        words |= latin_words(description)
    return words


def visible_text(content: bytes) -> str:
    document = html.fromstring(content)
    for hidden in document.xpath("//script|//style|//noscript|//template"):
        hidden.getparent().remove(hidden)
    return " ".join(" ".join(document.itertext()).split())


def arabic_client(email: str | None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    if email is not None:
        client.force_login(User.objects.get(email=email))
    return client


def demo_pages() -> list[tuple[str | None, str]]:
    """(who reads it, URL) for the pages of the demo people read most."""
    lots = [f"/lots/{pk}/" for pk in Lot.objects.values_list("pk", flat=True)]
    pages: list[tuple[str | None, str]] = [(None, url) for url in ["/", "/auctions/", *lots]]
    bidder = "bidder1@mazad.example"
    pages += [(bidder, url) for url in ["/my-auctions/", "/payments/", "/purchases/", "/support/"]]
    for public_id in Payment.objects.filter(payer__email=bidder).values_list(
        "public_id", flat=True
    ):
        pages.append((bidder, f"/payments/{public_id}/"))
    for public_id in Sale.objects.filter(buyer__email=bidder).values_list("public_id", flat=True):
        pages.append((bidder, f"/purchases/{public_id}/"))
    for number in Ticket.objects.filter(requester__email=bidder).values_list("number", flat=True):
        pages.append((bidder, f"/support/tickets/{number}/"))
    for code in COUNTRY_OF_COURT:
        staff, finance = (
            f"staff.{code.lower()}@mazad.example",
            f"finance.{code.lower()}@mazad.example",
        )
        pages += [(staff, "/workspace/files/"), (staff, "/workspace/letters/")]
        for pk in EnforcementFile.objects.filter(court__code=code).values_list("pk", flat=True):
            pages.append((staff, f"/workspace/files/{pk}/"))
        for pk in SeizedAsset.objects.filter(court__code=code).values_list("pk", flat=True):
            pages.append((staff, f"/workspace/assets/{pk}/"))
        for pk in AgencyLetter.objects.filter(court__code=code).values_list("pk", flat=True):
            pages.append((staff, f"/workspace/letters/{pk}/"))
        pages += [(finance, "/finance/"), (finance, "/finance/disbursements/")]
    return pages


def test_arabic_pages_of_the_demo_show_no_english_words(demo):
    from auction.services import registration as registrations

    bidder = User.objects.get(email="bidder1@mazad.example")
    for lot in Lot.objects.filter(status="SCHEDULED"):  # transfer instructions are shown too
        registrations.register_for_lot(user=bidder, lot_id=lot.pk, method="BANK_TRANSFER")
    allowed = allowed_words()
    clients: dict[str | None, Client] = {}
    found: dict[str, str] = {}

    for reader, url in demo_pages():
        client = clients.setdefault(reader, arabic_client(reader))
        answer = client.get(url)
        assert answer.status_code == 200, url
        for word in latin_words(visible_text(answer.content)):
            if not (
                word in allowed
                or "@" in word
                or REFERENCE.match(word)
                or PROVIDER_ID.match(word)
                or DIGEST.match(word)
            ):
                found.setdefault(word, url)

    assert found == {}


def test_known_colours_and_cities_are_shown_in_the_readers_language(demo):
    vehicle = Lot.objects.filter(asset__kind="VEHICLE", asset__colour="أبيض").first()
    vehicle = vehicle or Lot.objects.filter(asset__kind="VEHICLE").first()
    building = Lot.objects.filter(asset__kind="REAL_ESTATE", asset__city="الرياض").first()
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    vehicle_page = visible_text(english.get(f"/lots/{vehicle.pk}/").content)
    building_page = visible_text(english.get(f"/lots/{building.pk}/").content)
    arabic_page = visible_text(arabic_client(None).get(f"/lots/{building.pk}/").content)

    english_colour = next(en for ar, en, _rgb in catalogue.COLOURS if ar == vehicle.asset.colour)
    assert f"Colour {english_colour}" in vehicle_page
    assert "City and district Riyadh ·" in building_page
    assert "الرياض ·" in arabic_page


def test_a_declined_card_is_explained_in_the_readers_language(demo):
    from auction.services import registration as registrations
    from payments import locks, outcomes

    lot = Lot.objects.filter(status="SCHEDULED").first()
    bidder = User.objects.get(email="lama.alotaibi@mazad.example")
    registration = registrations.register_for_lot(user=bidder, lot_id=lot.pk, method="CARD")
    payment = Payment.objects.get(public_id=registration.deposit_reference)
    # The provider created the payment intent; the card the bidder entered was then declined.
    Payment.objects.filter(pk=payment.pk).update(intent_id="pi_declined", status="AWAITING_PAYMENT")
    with transaction.atomic():
        outcomes.payment_failed(
            locks.lock_payment(payment.pk),
            code="card_declined",
            message="Your card was declined (test card).",
        )
    page = f"/payments/{payment.public_id}/"

    arabic_page = visible_text(arabic_client(bidder.email).get(page).content)
    User.objects.filter(pk=bidder.pk).update(preferred_language="en")
    english_page = visible_text(arabic_client(bidder.email).get(page).content)

    assert "رفض البنك المُصدر للبطاقة عملية الدفع." in arabic_page
    assert "declined" not in arabic_page
    assert "The bank that issued the card refused the payment." in english_page
