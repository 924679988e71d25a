"""What the demo is made of: each country's places, agencies, people and market prices.

The demo courts work in Arabic, so their records (titles, colours, places, notes)
are written in Arabic, as their staff would enter them; every entry keeps its
English beside it for the English-speaking reader of this file and for the
demo-data test. Prices are in the ranges of each market in 2025-2026, in major
units of the court's currency.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Place:
    city_ar: str
    city_en: str
    district_ar: str
    district_en: str
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class Vehicle:
    make: str  # as on the registration card
    model: str
    title_ar: str  # make and model as written in Arabic
    body: str  # SEDAN, SUV or PICKUP: the silhouette of its photos
    years: tuple[int, int]
    # Market value in SAR of the oldest and of the newest year of `years`.
    price_sar: tuple[int, int]


@dataclass(frozen=True)
class Property:
    kind: str  # APARTMENT, VILLA, LAND or SHOP: the drawing of its photos
    title_ar: str
    title_en: str
    use: str
    area_m2: tuple[int, int]
    # Price per square metre, in major units of each currency.
    per_m2: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    places: tuple[Place, ...]
    # kind -> (Arabic name, English name, e-mail local part)
    agencies: dict[str, tuple[str, str, str]]
    yards: tuple[tuple[str, str], ...]  # where seized vehicles are kept (Arabic, English)
    appraiser: tuple[str, str]
    lenders: tuple[tuple[str, str], ...]  # mortgage holders
    vehicle_fees: tuple[str, str]
    property_fees: tuple[str, str]
    property_fee_bp: int  # the tax or fee on a transfer of real estate, in basis points


COLOURS = [
    # (Arabic, English, RGB)
    ("أبيض", "White", (236, 236, 232)),
    ("فضي", "Silver", (190, 194, 200)),
    ("أسود", "Black", (34, 34, 38)),
    ("أزرق", "Blue", (36, 78, 150)),
    ("أحمر", "Red", (168, 32, 40)),
    ("رمادي", "Grey", (112, 116, 122)),
    ("بيج", "Beige", (208, 192, 158)),
    ("أخضر", "Green", (34, 104, 76)),
    ("ذهبي", "Gold", (186, 150, 84)),
    ("عنابي", "Maroon", (110, 28, 42)),
]

VEHICLES = [
    Vehicle("Toyota", "Land Cruiser", "تويوتا لاند كروزر", "SUV", (2016, 2022), (145_000, 285_000)),
    Vehicle("Nissan", "Patrol", "نيسان باترول", "SUV", (2016, 2022), (115_000, 230_000)),
    Vehicle("Lexus", "LX 570", "لكزس إل إكس 570", "SUV", (2016, 2021), (185_000, 320_000)),
    Vehicle("Hyundai", "Sonata", "هيونداي سوناتا", "SEDAN", (2016, 2022), (38_000, 78_000)),
    Vehicle("Kia", "K5", "كيا كي 5", "SEDAN", (2017, 2022), (45_000, 82_000)),
    Vehicle("Toyota", "Camry", "تويوتا كامري", "SEDAN", (2016, 2022), (42_000, 92_000)),
    Vehicle("Chevrolet", "Tahoe", "شفروليه تاهو", "SUV", (2016, 2021), (85_000, 175_000)),
    Vehicle("GMC", "Yukon", "جي إم سي يوكن", "SUV", (2016, 2021), (90_000, 180_000)),
    Vehicle("Ford", "F-150", "فورد إف 150", "PICKUP", (2016, 2021), (70_000, 150_000)),
    Vehicle("Toyota", "Hilux", "تويوتا هايلكس", "PICKUP", (2016, 2022), (55_000, 105_000)),
]
CONDITIONS = ["EXCELLENT", "GOOD", "GOOD", "FAIR", "POOR"]

PROPERTIES = [
    Property(
        "APARTMENT",
        "شقة سكنية",
        "Apartment",
        "RESIDENTIAL",
        (110, 210),
        {"SAR": (4_200, 6_500), "KWD": (650, 950)},
    ),
    Property(
        "VILLA",
        "فيلا سكنية",
        "Villa",
        "RESIDENTIAL",
        (300, 600),
        {"SAR": (4_500, 7_000), "KWD": (900, 1_400)},
    ),
    Property(
        "LAND",
        "أرض سكنية",
        "Residential land plot",
        "LAND",
        (400, 900),
        {"SAR": (2_800, 5_200), "KWD": (600, 1_000)},
    ),
    Property(
        "SHOP",
        "محل تجاري",
        "Shop",
        "COMMERCIAL",
        (60, 160),
        {"SAR": (6_500, 11_000), "KWD": (1_500, 2_800)},
    ),
]

# What one major unit of each currency is worth in SAR, to price vehicles outside Saudi Arabia.
SAR_PER_UNIT = {"SAR": Decimal(1), "KWD": Decimal("12.2")}

COUNTRIES = {
    "SA": Country(
        code="SA",
        currency="SAR",
        places=(
            Place("الرياض", "Riyadh", "الملقا", "Al-Malqa", Decimal("24.8120"), Decimal("46.6100")),
            Place(
                "الرياض", "Riyadh", "الياسمين", "Al-Yasmin", Decimal("24.8230"), Decimal("46.6400")
            ),
            Place(
                "الرياض", "Riyadh", "النخيل", "Al-Nakheel", Decimal("24.7470"), Decimal("46.6330")
            ),
            Place("الرياض", "Riyadh", "العليا", "Al-Olaya", Decimal("24.6950"), Decimal("46.6850")),
            Place(
                "الرياض", "Riyadh", "النرجس", "Al-Narjis", Decimal("24.8600"), Decimal("46.6700")
            ),
            Place("الرياض", "Riyadh", "قرطبة", "Qurtubah", Decimal("24.8090"), Decimal("46.7430")),
            Place(
                "الرياض",
                "Riyadh",
                "السليمانية",
                "Al-Sulaimaniyah",
                Decimal("24.7040"),
                Decimal("46.7000"),
            ),
            Place(
                "الرياض", "Riyadh", "الروضة", "Al-Rawdah", Decimal("24.7350"), Decimal("46.7700")
            ),
        ),
        agencies={
            "TRAFFIC": ("الإدارة العامة للمرور", "General Department of Traffic", "traffic"),
            "LAND_REGISTRY": ("السجل العقاري", "Real Estate Registry", "land"),
            "BANK": ("البنك الأهلي السعودي", "Saudi National Bank", "bank"),
            "IMMIGRATION": (
                "المديرية العامة للجوازات",
                "General Directorate of Passports",
                "immigration",
            ),
        },
        yards=(
            ("ساحة حجز المركبات بحي السلي", "Al-Sulay vehicle impound yard"),
            ("ساحة التنفيذ بطريق الخرج", "Execution yard on the Al-Kharj road"),
        ),
        appraiser=("مكتب تقييم معتمد لدى الهيئة السعودية للمقيمين المعتمدين", "Taqeem-certified"),
        lenders=(
            ("مصرف الراجحي", "Al Rajhi Bank"),
            ("بنك الرياض", "Riyad Bank"),
            ("البنك العربي الوطني", "Arab National Bank"),
        ),
        vehicle_fees=("مخالفات مرورية ورسوم نقل الملكية", "Traffic fines and transfer fee"),
        property_fees=("ضريبة التصرفات العقارية (5٪)", "Real estate transaction tax (5%)"),
        property_fee_bp=500,
    ),
    "KW": Country(
        code="KW",
        currency="KWD",
        places=(
            Place(
                "محافظة حولي",
                "Hawalli",
                "السالمية",
                "Salmiya",
                Decimal("29.3340"),
                Decimal("48.0760"),
            ),
            Place(
                "محافظة حولي",
                "Hawalli",
                "الجابرية",
                "Jabriya",
                Decimal("29.3190"),
                Decimal("48.0300"),
            ),
            Place(
                "محافظة حولي", "Hawalli", "مشرف", "Mishref", Decimal("29.2740"), Decimal("48.0590")
            ),
            Place(
                "محافظة حولي", "Hawalli", "بيان", "Bayan", Decimal("29.2980"), Decimal("48.0480")
            ),
            Place(
                "محافظة العاصمة",
                "Capital",
                "الشامية",
                "Shamiya",
                Decimal("29.3470"),
                Decimal("47.9620"),
            ),
            Place(
                "محافظة العاصمة",
                "Capital",
                "كيفان",
                "Kaifan",
                Decimal("29.3360"),
                Decimal("47.9580"),
            ),
            Place(
                "محافظة العاصمة",
                "Capital",
                "اليرموك",
                "Yarmouk",
                Decimal("29.3120"),
                Decimal("47.9670"),
            ),
            Place(
                "محافظة الأحمدي",
                "Ahmadi",
                "الفنطاس",
                "Fintas",
                Decimal("29.1740"),
                Decimal("48.1210"),
            ),
        ),
        agencies={
            "TRAFFIC": (
                "الإدارة العامة للمرور - وزارة الداخلية",
                "General Traffic Department",
                "traffic",
            ),
            "LAND_REGISTRY": (
                "إدارة التسجيل العقاري والتوثيق",
                "Real Estate Registration and Authentication Department",
                "land",
            ),
            "BANK": ("بنك الكويت الوطني", "National Bank of Kuwait", "bank"),
            "IMMIGRATION": (
                "الإدارة العامة لشؤون الإقامة",
                "General Department of Residency Affairs",
                "immigration",
            ),
        },
        yards=(
            ("حجز المركبات في الشويخ الصناعية", "Shuwaikh Industrial vehicle pound"),
            ("ساحة حجز المركبات في أمغرة", "Amghara vehicle pound"),
        ),
        appraiser=("مكتب خبراء التقييم العقاري المعتمد", "licensed valuation office"),
        lenders=(
            ("بيت التمويل الكويتي", "Kuwait Finance House"),
            ("بنك الخليج", "Gulf Bank"),
            ("بنك بوبيان", "Boubyan Bank"),
        ),
        vehicle_fees=("مخالفات مرورية ورسوم تحويل الملكية", "Traffic fines and transfer fee"),
        property_fees=("رسوم التسجيل العقاري", "Real estate registration fee"),
        property_fee_bp=50,
    ),
}

PEOPLE = {
    "SA": [
        ("فهد الدوسري", "Fahd Al-Dosari"),
        ("نورة الشمري", "Noura Al-Shammari"),
        ("عبدالله الزهراني", "Abdullah Al-Zahrani"),
        ("مريم العنزي", "Maryam Al-Anazi"),
        ("سلطان الحربي", "Sultan Al-Harbi"),
        ("ريم القحطاني", "Reem Al-Qahtani"),
        ("تركي السبيعي", "Turki Al-Subaie"),
        ("جواهر العتيبي", "Jawaher Al-Otaibi"),
        ("ماجد الغامدي", "Majed Al-Ghamdi"),
        ("هيفاء الشهري", "Haifa Al-Shehri"),
    ],
    "KW": [
        ("بدر الكندري", "Bader Al-Kandari"),
        ("لطيفة الرشيدي", "Latifa Al-Rashidi"),
        ("ماجد العجمي", "Majed Al-Ajmi"),
        ("هيا المطيري", "Haya Al-Mutairi"),
        ("يوسف الصباح", "Yousef Al-Sabah"),
        ("دانة العوضي", "Dana Al-Awadhi"),
        ("خالد الشمالي", "Khaled Al-Shamali"),
        ("شيخة البناي", "Sheikha Al-Banai"),
        ("طلال الفضلي", "Talal Al-Fadhli"),
        ("منيرة الهاجري", "Munira Al-Hajri"),
    ],
}
COMPANIES = {
    "SA": [
        ("شركة الخليج للتمويل", "Gulf Finance Company"),
        ("مصرف الراجحي", "Al Rajhi Bank"),
        ("شركة البناء الحديث للمقاولات", "Modern Construction Contracting Co."),
        ("مؤسسة النخبة التجارية", "Elite Trading Est."),
    ],
    "KW": [
        ("بيت التمويل الكويتي", "Kuwait Finance House"),
        ("شركة الصفاة للتجارة العامة", "Al-Safat General Trading Co."),
        ("شركة المباني المتحدة", "United Buildings Co."),
        ("مؤسسة الرواد للمقاولات", "Al-Rowad Contracting Est."),
    ],
}
# The demo staff of each court: (role key, name as on the identity card).
STAFF_NAMES = {
    "SA": {"staff": "خالد العتيبي", "finance": "منى الدوسري", "supervisor": "سعد الشهري"},
    "KW": {"staff": "أحمد الكندري", "finance": "فاطمة العنزي", "supervisor": "ناصر المطيري"},
}
AGENCY_OFFICERS = {
    "SA": ["عمر الحربي", "سارة القحطاني", "فيصل العمري", "نوف الشمري"],
    "KW": ["حمد العازمي", "مريم الرشيدي", "جاسم الفيلكاوي", "عائشة الصالح"],
}


def round_to(value: int, step: int) -> int:
    return max(step, value // step * step)


def vehicle_value(vehicle: Vehicle, year: int, currency: str, rng: random.Random) -> int:
    """The market value in major units: between the model's oldest and newest price, +/- 4%."""
    low, high = vehicle.price_sar
    first, last = vehicle.years
    share = Decimal(year - first) / Decimal(max(1, last - first))
    sar = Decimal(low) + (Decimal(high) - Decimal(low)) * share
    sar *= Decimal(rng.randrange(96, 105)) / 100
    value = int(sar / SAR_PER_UNIT[currency])
    return round_to(value, 500 if currency == "SAR" else 50)


def property_value(item: Property, area_m2: int, currency: str, rng: random.Random) -> int:
    low, high = item.per_m2[currency]
    return round_to(area_m2 * rng.randrange(low, high + 1), 5_000 if currency == "SAR" else 500)
