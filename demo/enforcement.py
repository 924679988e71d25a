"""Demo enforcement data for `seed_demo`: agencies, files, orders, assets with photos, letters.

Everything goes through the enforcement services (so it is audited and valid),
acting as the court's demo staff member and supervisor. Deterministic: the same
run produces the same data, and a court that already has its demo files is left alone.

Believable by construction: each court's places and agencies are its own
country's (`demo.catalogue`), values are in the market's range, and every debt
is sized to the assets seized for it (the assets but the largest one never
already cover the debt, as a court seizes only what the debt needs).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from schwifty import IBAN

from accounts import identity
from accounts.models import User
from accounts.organisations import Agency, Court
from core.money import exponent
from demo import catalogue
from demo import photos as demo_photos
from enforcement import services
from enforcement.models import (
    AgencyLetter,
    Encumbrance,
    EnforcementFile,
    EnforcementRequest,
    SeizedAsset,
)
from enforcement.validators import VIN_VALUES, vin_check_digit

COUNTRY_OF_COURT = {"RYC": "SA", "KWC": "KW"}
DEMO_REFERENCE = "DEMO-"
SALE_REFERENCE = "SALE-"
PAST_REFERENCE = "PAST-"
FILES_PER_COURT = 12
INSTRUMENTS = ["JUDGMENT", "CHEQUE", "PROMISSORY_NOTE", "NOTARISED_CONTRACT", "ARBITRAL_AWARD"]


@dataclass
class AssetPlan:
    """One asset to seize: what it is, what it is worth (major units), how it is drawn."""

    details: dict[str, Any]
    value: int
    drawing: str
    colour: tuple[int, int, int] = (0, 0, 0)
    label: str = ""
    target: services.OrderTarget = field(default_factory=services.OrderTarget)

    @property
    def kind(self) -> str:
        return str(self.details["kind"])


def country_of(court: Court) -> catalogue.Country:
    return catalogue.COUNTRIES[COUNTRY_OF_COURT.get(court.code, "SA")]


def _national_id(country: str, seed: int) -> str:
    """A valid national ID of `country`, derived deterministically from `seed`."""
    for check in range(10):
        number = f"1{seed:08d}{check}" if country == "SA" else f"28{seed:09d}{check}"
        try:
            identity.validate_national_id(country, number)
        except Exception:  # noqa: S112 - try the next check digit
            continue
        return number
    return _national_id(country, seed + 1)


def _iban(country: str, seed: int) -> str:
    if country == "SA":
        return str(IBAN.generate("SA", bank_code="80", account_code=f"{seed:018d}"))
    return str(IBAN.generate("KW", bank_code="CBKU", account_code=f"{seed:022d}"))


def _vin(rng: random.Random) -> str:
    letters = "".join(VIN_VALUES) + "0123456789"
    body = "J" + "".join(rng.choice(letters) for _ in range(16))
    return body[:8] + vin_check_digit(body[:8] + "0" + body[9:]) + body[9:]


def _plate(country: str, rng: random.Random) -> str:
    """A plate as written in Latin script: Saudi three letters and four digits; Kuwaiti NN/NNNNN."""
    if country == "KW":
        return f"{rng.randrange(1, 99)}/{rng.randrange(10000, 99999)}"
    letters = "".join(rng.choice("ABDEGHJKLNRSTUVXZ") for _ in range(3))
    return f"{letters} {rng.randrange(1000, 9999)}"


def agencies() -> dict[tuple[str, str], Agency]:
    found = {}
    for country in catalogue.COUNTRIES.values():
        for kind, (name_ar, name_en, short) in country.agencies.items():
            agency, _created = Agency.objects.update_or_create(
                code=f"{country.code}-{kind.replace('_', '-')}",
                defaults={
                    "kind": kind,
                    "country": country.code,
                    "name_ar": name_ar,
                    "name_en": name_en,
                    "email": f"{short}.{country.code.lower()}@agency.example",
                },
            )
            found[(country.code, kind)] = agency
    return found


def agency_logins() -> list[tuple[str, str, str, str]]:
    """(e-mail, country, kind, name of the officer) of the demo agency users."""
    return [
        (
            f"{short}.{country.code.lower()}@mazad.example",
            country.code,
            kind,
            catalogue.AGENCY_OFFICERS[country.code][number],
        )
        for country in catalogue.COUNTRIES.values()
        for number, (kind, (_ar, _en, short)) in enumerate(country.agencies.items())
    ]


# -- what is seized ---------------------------------------------------------------------------


def plan_vehicle(country: catalogue.Country, rng: random.Random, number: int) -> AssetPlan:
    vehicle = catalogue.VEHICLES[number % len(catalogue.VEHICLES)]
    colour_ar, _colour_en, rgb = rng.choice(catalogue.COLOURS)
    year = rng.randrange(vehicle.years[0], vehicle.years[1] + 1)
    age = max(1, 2026 - year)
    mileage = age * rng.randrange(12, 26) * 1000
    yard_ar, _yard_en = country.yards[number % len(country.yards)]
    fees_ar, _fees_en = country.vehicle_fees
    vin, plate = _vin(rng), _plate(country.code, rng)
    fines = rng.randrange(300, 3_500) if country.currency == "SAR" else rng.randrange(25, 300)
    condition = catalogue.CONDITIONS[number % len(catalogue.CONDITIONS)]
    value = catalogue.vehicle_value(vehicle, year, country.currency, rng)
    if condition == "POOR":
        value = catalogue.round_to(value * 8 // 10, 500 if country.currency == "SAR" else 50)
    title = f"{vehicle.title_ar} {year}"
    return AssetPlan(
        details={
            "kind": "VEHICLE",
            "title": title,
            "description": (
                f"{title}، اللون {colour_ar}، قطعت {mileage:,} كم. "
                "تُباع بحالتها الراهنة، والمعاينة بموعد مسبق في موقع الحجز."
            ),
            "vin": vin,
            "plate": plate,
            "make": vehicle.make,
            "model": vehicle.model,
            "year": year,
            "colour": colour_ar,
            "mileage_km": mileage,
            "condition": condition,
            "custody_location": yard_ar,
            "transfer_costs_minor": fines * 10 ** exponent(country.currency),
            "transfer_costs_note": fees_ar,
        },
        value=value,
        drawing=vehicle.body,
        colour=rgb,
        label=plate,
        target=services.OrderTarget(vin=vin, plate=plate),
    )


def plan_property(
    country: catalogue.Country, rng: random.Random, number: int, kind: str = ""
) -> AssetPlan:
    item = next(
        (p for p in catalogue.PROPERTIES if p.kind == kind),
        catalogue.PROPERTIES[number % len(catalogue.PROPERTIES)],
    )
    place = country.places[(number * 5 + 1) % len(country.places)]
    area = rng.randrange(item.area_m2[0], item.area_m2[1] + 1)
    value = catalogue.property_value(item, area, country.currency, rng)
    occupancy = "VACANT" if item.kind == "LAND" else ["VACANT", "DEBTOR", "TENANT"][number % 3]
    fees_ar, _fees_en = country.property_fees
    deed = f"{rng.randrange(10**11, 10**12)}"
    plot = f"{rng.randrange(1, 900)}"
    title = f"{item.title_ar} في {place.district_ar}"
    occupied = {
        "VACANT": "خالية",
        "DEBTOR": "يشغلها المدين، ويُسلَّم العقار خاليًا بعد البيع",
        "TENANT": "مؤجرة حتى نهاية عقد الإيجار",
    }[occupancy]
    return AssetPlan(
        details={
            "kind": "REAL_ESTATE",
            "title": title,
            "description": f"{title}، {place.city_ar}، بمساحة {area} م². الحالة: {occupied}.",
            "deed_number": deed,
            "city": place.city_ar,
            "district": place.district_ar,
            "plan_number": f"{rng.randrange(1000, 4000)}",
            "plot_number": plot,
            "area_m2": Decimal(area),
            "use": item.use,
            "latitude": place.latitude + Decimal(rng.randrange(-90, 90)) / 10_000,
            "longitude": place.longitude + Decimal(rng.randrange(-90, 90)) / 10_000,
            "occupancy": occupancy,
            "lease_ends_on": timezone.localdate() + timedelta(days=120 + number % 200)
            if occupancy == "TENANT"
            else None,
            "transfer_costs_minor": value
            * country.property_fee_bp
            // 10_000
            * 10 ** exponent(country.currency),
            "transfer_costs_note": fees_ar,
        },
        value=value,
        drawing=item.kind,
        label=plot,
        target=services.OrderTarget(deed_number=deed),
    )


def claim_for(plans: list[AssetPlan], rng: random.Random, *, low: int = 60, high: int = 125) -> int:
    """A debt (major units) that the assets answer for: `low`-`high` % of their worth.

    With `low` above 50 %, the assets other than the largest never cover the
    debt on their own, so nothing is seized beyond what the debt needs.
    """
    worth = sum(plan.value for plan in plans)
    return max(1_000, worth * rng.randrange(low, high + 1) // 100)


# -- files ------------------------------------------------------------------------------------


def seed_court(
    court: Court, staff: Any, supervisor: Any, agency_by_kind: dict[tuple[str, str], Agency]
) -> int:
    """Load the court's demo files once; returns how many files were created."""
    if EnforcementFile.objects.filter(
        court=court, instrument_reference__startswith=DEMO_REFERENCE
    ).exists():
        return 0
    rng = random.Random(court.code)
    for index in range(FILES_PER_COURT):
        _seed_file(court, staff, supervisor, agency_by_kind, rng, index)
    return FILES_PER_COURT


def _party(country: str, index: int, *, company: bool) -> services.PartyDetails:
    places = catalogue.COUNTRIES[country].places
    place = places[index % len(places)]
    if company:
        companies = catalogue.COMPANIES[country]
        name_ar, name_en = companies[index % len(companies)]
        return services.PartyDetails(
            kind="COMPANY",
            id_kind="COMMERCIAL_REGISTRATION",
            name_ar=name_ar,
            name_en=name_en,
            id_country=country,
            id_number=f"{1010000000 + index % len(companies)}",
            address=f"{place.district_ar}، {place.city_ar}",
            iban=_iban(country, 5000 + index % len(companies)),
        )
    people = catalogue.PEOPLE[country]
    name_ar, name_en = people[index % len(people)]
    return services.PartyDetails(
        kind="PERSON",
        id_kind="NATIONAL_ID",
        name_ar=name_ar,
        name_en=name_en,
        id_country=country,
        id_number=_national_id(country, 1000 + index),
        address=f"{place.district_ar}، {place.city_ar}",
        iban=_iban(country, 7000 + index),
    )


def open_file(
    court: Court,
    staff: Any,
    *,
    reference: str,
    debtor: int,
    applicant: int,
    company: bool,
    claim: int,
    rng: random.Random,
    issued_on: date,
    instrument: str,
) -> EnforcementFile:
    """Open a file whose claim is `claim` major units, with costs of 1-3 % of it."""
    country = country_of(court).code
    unit = 10 ** exponent(court.currency)
    file = services.open_file(
        actor=staff,
        applicants=[_party(country, applicant, company=company)],
        debtors=[_party(country, debtor, company=False)],
        instrument=services.Instrument(instrument, reference, issued_on),
        claim_minor=claim * unit,
        costs_minor=claim * rng.randrange(1, 4) // 100 * unit,
        assigned_to=staff,
    )
    return file


def _plans_for(country: catalogue.Country, rng: random.Random, index: int) -> list[AssetPlan]:
    if index == FILES_PER_COURT - 1:
        return []  # one file stays without assets, as new files are
    count = 1 if index % 3 == 2 else 2
    if index % 3 == 1:
        return [plan_property(country, rng, index * 2 + n) for n in range(count)]
    return [plan_vehicle(country, rng, index * 2 + n) for n in range(count)]


def _seed_file(
    court: Court,
    staff: Any,
    supervisor: Any,
    agency_by_kind: dict[tuple[str, str], Agency],
    rng: random.Random,
    index: int,
) -> None:
    country = country_of(court)
    today = timezone.localdate()
    plans = _plans_for(country, rng, index)
    if plans:
        claim = claim_for(plans, rng)
    else:
        claim = (
            rng.randrange(30_000, 400_000)
            if court.currency == "SAR"
            else rng.randrange(2_000, 30_000)
        )
    file = open_file(
        court,
        staff,
        reference=f"{DEMO_REFERENCE}{court.code}-{2026 - index % 3}-{1000 + index * 37}",
        debtor=index,
        applicant=index + 5,
        company=index % 3 != 2,
        claim=claim,
        rng=rng,
        issued_on=today - timedelta(days=40 + index * 11),
        instrument=INSTRUMENTS[index % len(INSTRUMENTS)],
    )
    if index % 6 != 5:
        services.change_file_status(actor=staff, file_id=file.pk, action="start_enforcement")
    debtor = file.file_parties.get(role="DEBTOR").party
    if index % 4 == 0:
        bank = services.request_order(
            actor=staff,
            file_id=file.pk,
            kind="BANK_FUNDS",
            agency_id=agency_by_kind[(country.code, "BANK")].pk,
            target=services.OrderTarget(iban=debtor.iban),
        )
        services.issue_order(actor=supervisor, order_id=bank.pk)
        # What the debtor's account held: a small part of the debt.
        services.record_order_execution(
            actor=staff,
            order_id=bank.pk,
            amount_seized_minor=claim
            * rng.randrange(2, 12)
            // 100
            * 10 ** exponent(court.currency),
        )
    if index % 5 == 3:
        services.request_order(
            actor=staff,
            file_id=file.pk,
            kind="TRAVEL_BAN",
            agency_id=agency_by_kind[(country.code, "IMMIGRATION")].pk,
            target=services.OrderTarget(party_id=debtor.pk),
        )
    for number, plan in enumerate(plans):
        agency = agency_by_kind[(country.code, _agency_kind(plan.kind))]
        asset = seize(file, staff, supervisor, agency, plan, stage=(index * 2 + number) % 5)
        _seed_letter(file, staff, asset, agency, index + number, today)


def _agency_kind(asset_kind: str) -> str:
    return "TRAFFIC" if asset_kind == "VEHICLE" else "LAND_REGISTRY"


def seize(
    file: EnforcementFile, staff: Any, supervisor: Any, agency: Agency, plan: AssetPlan, stage: int
) -> SeizedAsset:
    """Seize, register and photograph the planned asset; from `stage` 1 appraise it, from 3 approve
    it for sale (stage 4 is approved and ready for an auction)."""
    country = country_of(file.court)
    unit = 10 ** exponent(file.currency)
    order = services.request_order(
        actor=staff,
        file_id=file.pk,
        kind=plan.kind,
        agency_id=agency.pk,
        target=plan.target,
    )
    services.issue_order(actor=supervisor, order_id=order.pk)
    services.record_order_execution(actor=staff, order_id=order.pk)
    asset = services.register_asset(
        actor=staff,
        file_id=file.pk,
        details=services.AssetDetails(order_id=order.pk, **plan.details),
    )
    services.add_photos(
        actor=staff,
        asset_id=asset.pk,
        uploads=demo_photos.photos(asset.pk, plan.drawing, colour=plan.colour, label=plan.label),
    )
    if plan.kind == "REAL_ESTATE" and plan.drawing != "LAND" and asset.pk % 2 == 0:
        lender_ar, _lender_en = country.lenders[asset.pk % len(country.lenders)]
        mortgage = services.add_encumbrance(
            actor=staff,
            asset_id=asset.pk,
            kind="MORTGAGE",
            holder=lender_ar,
            amount_minor=plan.value * (20 + asset.pk % 25) // 100 * unit,
            note="رهن عقاري مسجل على الصك",
        )
        # The lender's rank and account, which the workspace does not record yet (the admin
        # does): without them the secured creditor could not be paid from the sale.
        Encumbrance.objects.filter(pk=mortgage.pk).update(
            rank=1, holder_iban=_iban(country.code, 6000 + asset.pk % len(country.lenders))
        )
    if stage >= 1:
        services.record_appraisal(
            actor=staff,
            asset_id=asset.pk,
            appraiser=country.appraiser[0],
            appraised_on=timezone.localdate() - timedelta(days=5 + asset.pk % 20),
            value_minor=plan.value * unit,
        )
    if stage >= 3:
        services.approve_for_sale(actor=supervisor, asset_id=asset.pk)
    asset.refresh_from_db()
    return asset


def open_sale_file(
    court: Court,
    staff: Any,
    supervisor: Any,
    *,
    kind: str,
    number: int,
    property_kind: str = "",
    reference: str = SALE_REFERENCE,
) -> SeizedAsset:
    """A file of its own for an asset sold in a demo auction: approved for sale, debt to match.

    `number` tells the files apart (and makes the asset); the debt is 85-115 % of
    the asset's value, so a sale pays the creditor most or all of it and any surplus
    returned to the debtor stays small.
    """
    country = country_of(court)
    rng = random.Random(f"{court.code}-sale-{number}")
    if kind == "VEHICLE":
        # Spread over the catalogue, each country its own mix (Riyadh: a family car, an SUV, a 4x4).
        plan = plan_vehicle(
            country, rng, number * 3 + 4 + 5 * list(catalogue.COUNTRIES).index(country.code)
        )
    else:
        plan = plan_property(country, rng, number, property_kind)
    file = open_file(
        court,
        staff,
        reference=f"{reference}{court.code}-{number}",
        debtor=20 + number,
        applicant=number + 2,
        company=number % 2 == 0,
        claim=claim_for([plan], rng, low=85, high=115),
        rng=rng,
        issued_on=timezone.localdate() - timedelta(days=200 + number % 90),
        instrument=INSTRUMENTS[number % len(INSTRUMENTS)],
    )
    services.change_file_status(actor=staff, file_id=file.pk, action="start_enforcement")
    agency = Agency.objects.get(code=f"{country.code}-{_agency_kind(kind).replace('_', '-')}")
    return seize(file, staff, supervisor, agency, plan, stage=4)


# -- letters and requests ---------------------------------------------------------------------

ANSWERS = [
    "تم تنفيذ المطلوب وتسجيل الحجز على السجلات.",
    "تم التأشير بالحجز، ولا توجد قيود سابقة على الأصل.",
]


def _seed_letter(
    file: EnforcementFile, staff: Any, asset: Any, agency: Agency, number: int, today: date
) -> None:
    """Letters in every state: sent, acknowledged, answered, and overdue; in Arabic, the language
    of the courts and agencies of the demo."""

    letter = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind=["SEIZE", "INQUIRY", "SEIZE", "LIFT"][number % 4],
        language="ar",
        due_on=today + timedelta(days=10 + number % 7),
        asset_id=asset.pk,
    )
    agent = User.objects.filter(agency=agency).first()
    state = number % 4
    if state == 1:
        AgencyLetter.objects.filter(pk=letter.pk).update(
            due_on=today - timedelta(days=3 + number % 5),
            sent_at=timezone.now() - timedelta(days=20),
        )  # backdated so the demo shows overdue letters
    elif agent is not None and state == 2:
        services.acknowledge_letter(actor=agent, letter_id=letter.pk)
    elif agent is not None and state == 3:
        services.answer_letter(
            actor=agent, letter_id=letter.pk, answer=ANSWERS[number % len(ANSWERS)]
        )


DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def seed_requests(court: Court, staff: Any, bidders: list[Any]) -> None:
    """Two online requests per court: one awaiting a decision, one rejected with its reason."""

    if EnforcementRequest.objects.filter(court=court).exists():
        return
    country = country_of(court).code
    today = timezone.localdate()
    for number, bidder in enumerate(bidders[:2]):
        request = services.submit_request(
            applicant=bidder,
            court=court,
            debtor=_party(country, 40 + number, company=False),
            instrument=services.Instrument(
                "CHEQUE", f"CHQ-{court.code}-{7781 + number}", today - timedelta(days=30)
            ),
            claim_minor=(85_000 + 40_000 * number if country == "SA" else 6_500 + 3_000 * number)
            * 10 ** exponent(court.currency),
            applicant_iban=_iban(country, 9000 + number),
            document=SimpleUploadedFile("cheque.pdf", DEMO_PDF, content_type="application/pdf"),
        )
        if number == 1:
            services.reject_request(
                actor=staff,
                request_id=request.pk,
                reason="صورة الشيك غير واضحة؛ يرجى إعادة تقديم الطلب مع صورة مقروءة.",
            )
