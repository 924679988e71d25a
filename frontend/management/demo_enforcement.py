"""Demo enforcement data for `seed_demo`: agencies, files, orders, assets with photos, letters.

Everything goes through the enforcement services (so it is audited and valid),
acting as the court's demo staff member and supervisor. Deterministic: the same
run produces the same data, and a court that already has its demo files is left alone.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw
from schwifty import IBAN

from accounts import identity
from enforcement import services
from enforcement.models import Agency, AgencyLetter, Court, EnforcementFile
from enforcement.validators import VIN_VALUES, vin_check_digit

AGENCIES = [
    ("TRAFFIC", "traffic", "الإدارة العامة للمرور", "General Traffic Department"),
    ("LAND_REGISTRY", "land", "السجل العقاري", "Real Estate Registry"),
    ("BANK", "bank", "البنك الأهلي", "National Bank"),
    ("IMMIGRATION", "immigration", "المديرية العامة للجوازات", "General Directorate of Passports"),
]
COUNTRY_OF_COURT = {"RYC": "SA", "KWC": "KW"}
DEMO_REFERENCE = "DEMO-"
FILES_PER_COURT = 12

PEOPLE = [
    ("فهد الدوسري", "Fahd Al-Dosari"),
    ("نورة الشمري", "Noura Al-Shammari"),
    ("عبدالله الزهراني", "Abdullah Al-Zahrani"),
    ("مريم العنزي", "Maryam Al-Anazi"),
    ("سلطان الحربي", "Sultan Al-Harbi"),
    ("ريم القحطاني", "Reem Al-Qahtani"),
    ("ماجد العجمي", "Majed Al-Ajmi"),
    ("هيا المطيري", "Haya Al-Mutairi"),
    ("تركي السبيعي", "Turki Al-Subaie"),
    ("لطيفة الرشيدي", "Latifa Al-Rashidi"),
    ("بدر الكندري", "Bader Al-Kandari"),
    ("جواهر العتيبي", "Jawaher Al-Otaibi"),
]
COMPANIES = [
    ("شركة الخليج للتمويل", "Gulf Finance Company"),
    ("مصرف الراجحي", "Al Rajhi Bank"),
    ("شركة البناء الحديث", "Modern Construction Co."),
    ("مؤسسة النخبة التجارية", "Elite Trading Est."),
]
VEHICLES = [
    ("Toyota", "Land Cruiser", "White", (236, 236, 236)),
    ("Nissan", "Patrol", "Silver", (185, 190, 196)),
    ("Lexus", "LX 600", "Black", (40, 40, 46)),
    ("Hyundai", "Sonata", "Blue", (40, 80, 160)),
    ("Ford", "Expedition", "Red", (170, 30, 40)),
    ("Chevrolet", "Tahoe", "Grey", (110, 115, 120)),
    ("GMC", "Yukon", "Beige", (210, 195, 160)),
    ("Kia", "K5", "Green", (30, 110, 80)),
]
DISTRICTS = [
    "Al-Malqa",
    "Al-Yasmin",
    "Hittin",
    "Al-Nakheel",
    "Salwa",
    "Al-Salmiya",
    "Hawalli",
    "Mishref",
]


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
    body = "1" + "".join(rng.choice(letters) for _ in range(16))
    return body[:8] + vin_check_digit(body[:8] + "0" + body[9:]) + body[9:]


def _plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABDEHJKLNRSTUVXZ") for _ in range(3))
    return f"{letters} {rng.randrange(1000, 9999)}"


def _jpeg(image: Image.Image, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _backdrop(width: int, height: int, seed: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height * 2 // 3):
        shade = 200 + 40 * y // height
        draw.line([(0, y), (width, y)], fill=(shade - 40, shade - 10 + seed % 10, 245))
    draw.rectangle([0, height * 2 // 3, width, height], fill=(196, 176, 140))
    return image, draw


def vehicle_photo(colour: tuple[int, int, int], seed: int, angle: int) -> SimpleUploadedFile:
    width, height = 960, 640
    image, draw = _backdrop(width, height, seed)
    shift = -60 if angle else 60
    body = [150 + shift, 300, 810 + shift, 470]
    draw.rounded_rectangle(body, radius=40, fill=colour, outline=(30, 30, 30), width=4)
    draw.rounded_rectangle(
        [280 + shift, 200, 660 + shift, 320], radius=30, fill=colour, outline=(30, 30, 30), width=4
    )
    draw.rectangle([310 + shift, 225, 460 + shift, 300], fill=(150, 190, 215))
    draw.rectangle([480 + shift, 225, 630 + shift, 300], fill=(150, 190, 215))
    for x in (270 + shift, 690 + shift):
        draw.ellipse([x - 62, 410, x + 62, 534], fill=(25, 25, 25))
        draw.ellipse([x - 28, 444, x + 28, 500], fill=(170, 170, 170))
    draw.rectangle([780 + shift, 350, 810 + shift, 380], fill=(255, 215, 120))
    return _jpeg(image, f"vehicle-{seed}-{angle}.jpg")


def building_photo(seed: int, angle: int) -> SimpleUploadedFile:
    width, height = 960, 640
    image, draw = _backdrop(width, height, seed)
    wall = (225 - seed % 30, 205 - seed % 20, 170)
    left = 220 if angle == 0 else 120
    draw.rectangle([left, 180, left + 520, 480], fill=wall, outline=(120, 100, 80), width=4)
    draw.polygon([(left - 20, 180), (left + 260, 90), (left + 540, 180)], fill=(150, 90, 60))
    for row in range(2):
        for column in range(4):
            x, y = left + 40 + column * 120, 220 + row * 120
            draw.rectangle(
                [x, y, x + 70, y + 80], fill=(120, 160, 190), outline=(90, 80, 70), width=3
            )
    draw.rectangle([left + 230, 390, left + 290, 480], fill=(110, 70, 40))
    draw.rectangle([0, 470, width, 500], fill=(140, 140, 130))
    return _jpeg(image, f"building-{seed}-{angle}.jpg")


def agencies() -> dict[tuple[str, str], Agency]:
    found = {}
    for country in ("SA", "KW"):
        for kind, short, name_ar, name_en in AGENCIES:
            agency, _created = Agency.objects.update_or_create(
                code=f"{country}-{kind.replace('_', '-')}",
                defaults={
                    "kind": kind,
                    "country": country,
                    "name_ar": name_ar if country == "SA" else f"{name_ar} - الكويت",
                    "name_en": name_en if country == "SA" else f"{name_en} (Kuwait)",
                    "email": f"{short}.{country.lower()}@agency.example",
                },
            )
            found[(country, kind)] = agency
    return found


def agency_logins() -> list[tuple[str, str, str, str]]:
    """(e-mail, country, kind, English name) of the demo agency users."""
    return [
        (f"{short}.{country.lower()}@mazad.example", country, kind, name_en)
        for country in ("SA", "KW")
        for kind, short, _name_ar, name_en in AGENCIES
    ]


def seed_court(
    court: Court, staff: Any, supervisor: Any, agency_by_kind: dict[tuple[str, str], Agency]
) -> int:
    """Load the court's demo files once; returns how many files were created."""
    if EnforcementFile.objects.filter(
        court=court, instrument_reference__startswith=DEMO_REFERENCE
    ).exists():
        return 0
    country = COUNTRY_OF_COURT.get(court.code, "SA")
    rng = random.Random(court.code)
    today = timezone.localdate()
    for index in range(FILES_PER_COURT):
        _seed_file(court, staff, supervisor, agency_by_kind, country, rng, index, today)
    return FILES_PER_COURT


def _party(country: str, index: int, *, company: bool) -> services.PartyDetails:
    if company:
        name_ar, name_en = COMPANIES[index % len(COMPANIES)]
        return services.PartyDetails(
            kind="COMPANY",
            id_kind="COMMERCIAL_REGISTRATION",
            name_ar=name_ar,
            name_en=name_en,
            id_country=country,
            id_number=f"{1010000000 + index % len(COMPANIES)}",
            iban=_iban(country, 5000 + index % len(COMPANIES)),
            phone="",
            email="",
        )
    name_ar, name_en = PEOPLE[index % len(PEOPLE)]
    return services.PartyDetails(
        kind="PERSON",
        id_kind="NATIONAL_ID",
        name_ar=name_ar,
        name_en=name_en,
        id_country=country,
        id_number=_national_id(country, 1000 + index),
        address=DISTRICTS[index % len(DISTRICTS)],
        iban=_iban(country, 7000 + index),
    )


def _seed_file(
    court: Court,
    staff: Any,
    supervisor: Any,
    agency_by_kind: dict[tuple[str, str], Agency],
    country: str,
    rng: random.Random,
    index: int,
    today: date,
) -> None:
    exponent = 3 if court.currency in ("KWD", "BHD", "OMR", "JOD") else 2
    file = services.open_file(
        actor=staff,
        applicants=[_party(country, index + 6, company=index % 3 != 2)],
        debtors=[_party(country, index, company=False)],
        instrument=services.Instrument(
            ["JUDGMENT", "CHEQUE", "PROMISSORY_NOTE", "NOTARISED_CONTRACT", "ARBITRAL_AWARD"][
                index % 5
            ],
            f"{DEMO_REFERENCE}{court.code}-{2026 - index % 3}-{1000 + index * 37}",
            today - timedelta(days=40 + index * 11),
        ),
        claim_minor=rng.randrange(40_000, 2_500_000) * 10**exponent,
        costs_minor=rng.randrange(500, 12_000) * 10**exponent,
        assigned_to=staff,
    )
    if index % 6 != 5:
        services.change_file_status(actor=staff, file_id=file.pk, action="start_enforcement")
    debtor = file.file_parties.get(role="DEBTOR").party
    kind = "VEHICLE" if index % 3 != 1 else "REAL_ESTATE"
    agency = agency_by_kind[(country, "TRAFFIC" if kind == "VEHICLE" else "LAND_REGISTRY")]
    if index % 4 == 0:
        bank = services.request_order(
            actor=staff,
            file_id=file.pk,
            kind="BANK_FUNDS",
            agency_id=agency_by_kind[(country, "BANK")].pk,
            target=services.OrderTarget(iban=debtor.iban),
        )
        services.issue_order(actor=supervisor, order_id=bank.pk)
        services.record_order_execution(
            actor=staff,
            order_id=bank.pk,
            amount_seized_minor=rng.randrange(1000, 90_000) * 10**exponent,
        )
    if index % 5 == 3:
        services.request_order(
            actor=staff,
            file_id=file.pk,
            kind="TRAVEL_BAN",
            agency_id=agency_by_kind[(country, "IMMIGRATION")].pk,
            target=services.OrderTarget(party_id=debtor.pk),
        )
    if index == FILES_PER_COURT - 1:
        return  # one file stays without assets, as new files are
    for number in range(1 if index % 3 == 2 else 2):
        seed_asset(file, staff, supervisor, agency, country, rng, index * 2 + number, today, kind)
        latest = file.assets.order_by("-pk").first()
        _seed_letter(file, staff, latest, agency, index + number, today)


def seed_asset(
    file: EnforcementFile,
    staff: Any,
    supervisor: Any,
    agency: Agency,
    country: str,
    rng: random.Random,
    number: int,
    today: date,
    kind: str,
) -> None:
    exponent = 3 if file.currency in ("KWD", "BHD", "OMR", "JOD") else 2
    if kind == "VEHICLE":
        make, model, colour, rgb = VEHICLES[number % len(VEHICLES)]
        vin, plate = _vin(rng), _plate(rng)
        order = services.request_order(
            actor=staff,
            file_id=file.pk,
            kind="VEHICLE",
            agency_id=agency.pk,
            target=services.OrderTarget(vin=vin, plate=plate),
        )
        details = services.AssetDetails(
            kind="VEHICLE",
            title=f"{make} {model} {2014 + number % 10}",
            vin=vin,
            plate=plate,
            make=make,
            model=model,
            year=2014 + number % 10,
            colour=colour,
            mileage_km=rng.randrange(20, 260) * 1000,
            condition=["EXCELLENT", "GOOD", "FAIR", "POOR"][number % 4],
            custody_location="Court vehicle yard" if number % 2 else "Impound lot 3",
            order_id=order.pk,
            transfer_costs_minor=rng.randrange(100, 900) * 10**exponent,
            transfer_costs_note="Traffic fines and transfer fee",
        )
        photos = [vehicle_photo(rgb, number, angle) for angle in (0, 1)]
    else:
        district = DISTRICTS[number % len(DISTRICTS)]
        deed = f"{rng.randrange(10**11, 10**12)}"
        order = services.request_order(
            actor=staff,
            file_id=file.pk,
            kind="REAL_ESTATE",
            agency_id=agency.pk,
            target=services.OrderTarget(deed_number=deed),
        )
        details = services.AssetDetails(
            kind="REAL_ESTATE",
            title=["Villa", "Apartment", "Land plot", "Shop"][number % 4] + f" in {district}",
            deed_number=deed,
            city="Riyadh" if country == "SA" else "Kuwait City",
            district=district,
            plan_number=f"{rng.randrange(1000, 4000)}",
            plot_number=f"{rng.randrange(1, 900)}",
            area_m2=Decimal(rng.randrange(180, 1200)),
            use=["RESIDENTIAL", "RESIDENTIAL", "LAND", "COMMERCIAL"][number % 4],
            latitude=None,
            longitude=None,
            order_id=order.pk,
            occupancy=["VACANT", "DEBTOR", "TENANT"][number % 3],
            lease_ends_on=today + timedelta(days=200) if number % 3 == 2 else None,
            transfer_costs_minor=rng.randrange(2000, 40_000) * 10**exponent,
            transfer_costs_note="Real estate transaction tax (5%)",
        )
        photos = [building_photo(number, angle) for angle in (0, 1)]
    services.issue_order(actor=supervisor, order_id=order.pk)
    services.record_order_execution(actor=staff, order_id=order.pk)
    asset = services.register_asset(actor=staff, file_id=file.pk, details=details)
    services.add_photos(actor=staff, asset_id=asset.pk, uploads=photos)
    if kind == "REAL_ESTATE" and number % 2 == 0:
        services.add_encumbrance(
            actor=staff,
            asset_id=asset.pk,
            kind="MORTGAGE",
            holder=COMPANIES[number % len(COMPANIES)][1],
            amount_minor=rng.randrange(50_000, 400_000) * 10**exponent,
            note="Registered mortgage",
        )
    stage = number % 5
    if stage >= 1:
        services.record_appraisal(
            actor=staff,
            asset_id=asset.pk,
            appraiser="Taqeem Certified Appraisers",
            appraised_on=today - timedelta(days=5),
            value_minor=rng.randrange(30_000, 1_500_000) * 10**exponent,
        )
    if stage >= 3:
        services.approve_for_sale(actor=supervisor, asset_id=asset.pk)


def _seed_letter(
    file: EnforcementFile, staff: Any, asset: Any, agency: Agency, number: int, today: date
) -> None:
    """Letters in every state: sent, acknowledged, answered, and overdue."""
    from accounts.models import User

    letter = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind=["SEIZE", "INQUIRY", "SEIZE", "LIFT"][number % 4],
        language="ar" if number % 3 else "en",
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
            actor=agent,
            letter_id=letter.pk,
            answer="تم تنفيذ المطلوب وتسجيل الحجز على السجلات."
            if letter.language == "ar"
            else "Done: the seizure is recorded on our registers.",
        )


DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def seed_requests(court: Court, staff: Any, bidders: list[Any]) -> None:
    """Two online requests per court: one awaiting a decision, one rejected with its reason."""
    from enforcement.models import EnforcementRequest

    if EnforcementRequest.objects.filter(court=court).exists():
        return
    country = COUNTRY_OF_COURT.get(court.code, "SA")
    today = timezone.localdate()
    for number, bidder in enumerate(bidders[:2]):
        request = services.submit_request(
            applicant=bidder,
            court=court,
            debtor=_party(country, 40 + number, company=False),
            instrument=services.Instrument(
                "CHEQUE", f"CHQ-{court.code}-{7781 + number}", today - timedelta(days=30)
            ),
            claim_minor=(25_000 + 10_000 * number) * 10 ** (3 if court.currency == "KWD" else 2),
            applicant_iban=_iban(country, 9000 + number),
            document=SimpleUploadedFile("cheque.pdf", DEMO_PDF, content_type="application/pdf"),
        )
        if number == 1:
            services.reject_request(
                actor=staff,
                request_id=request.pk,
                reason="The cheque copy is not legible; file it again.",
            )
