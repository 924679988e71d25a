"""Words of a closed vocabulary that staff type in one language (a vehicle's colour, a city),
shown in the reader's language.

A record keeps the word as entered; a word known here in either language is
shown in the language of the page, anything else as it was typed.
"""

from __future__ import annotations

from django.utils.translation import get_language

# (Arabic, English)
COLOURS = [
    ("أبيض", "White"),
    ("أسود", "Black"),
    ("فضي", "Silver"),
    ("رمادي", "Grey"),
    ("أحمر", "Red"),
    ("أزرق", "Blue"),
    ("أخضر", "Green"),
    ("بيج", "Beige"),
    ("ذهبي", "Gold"),
    ("عنابي", "Maroon"),
    ("بني", "Brown"),
    ("أصفر", "Yellow"),
    ("برتقالي", "Orange"),
    ("كحلي", "Navy blue"),
]
CITIES = [
    # Saudi Arabia
    ("الرياض", "Riyadh"),
    ("جدة", "Jeddah"),
    ("مكة المكرمة", "Makkah"),
    ("المدينة المنورة", "Madinah"),
    ("الدمام", "Dammam"),
    ("الخبر", "Khobar"),
    ("الطائف", "Taif"),
    ("أبها", "Abha"),
    ("تبوك", "Tabuk"),
    ("بريدة", "Buraydah"),
    # Kuwait: the city and the six governorates
    ("مدينة الكويت", "Kuwait City"),
    ("محافظة العاصمة", "Capital Governorate"),
    ("محافظة حولي", "Hawalli Governorate"),
    ("محافظة الفروانية", "Farwaniya Governorate"),
    ("محافظة الأحمدي", "Ahmadi Governorate"),
    ("محافظة الجهراء", "Jahra Governorate"),
    ("محافظة مبارك الكبير", "Mubarak Al-Kabeer Governorate"),
    # Bahrain
    ("المنامة", "Manama"),
    ("المحرق", "Muharraq"),
]


def _index() -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for pair in COLOURS + CITIES:
        for word in pair:
            found[word.casefold()] = pair
    return found


_KNOWN = _index()


def in_reader_language(value: str) -> str:
    """`value` in the active language when it is a known term, otherwise unchanged."""
    pair = _KNOWN.get((value or "").strip().casefold())
    if pair is None:
        return value
    return pair[0] if (get_language() or "ar").startswith("ar") else pair[1]
