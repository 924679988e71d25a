"""The catalog benchmark's data: an archive of lots and a staff list of letters, made in bulk SQL.

100,000 lots take seconds this way (`INSERT … SELECT generate_series`), where the ORM would take
minutes. Like a real court's archive, nine lots in ten have ended (unsold or withdrawn); the rest
are open or upcoming. Titles mix Arabic and English words, vehicles carry plates and VINs, land
carries title deed numbers, so the searches the readers make find what a real catalog holds.
Two lots are the search targets: one whose Arabic title only a stemmed query finds, one whose
plate the readers type with one wrong character.

Called from `bench.data setup` inside the stack's Django environment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

AUCTION_SIZE = 100
VEHICLES = [
    ("سيارة تويوتا كامري", "Toyota Camry car", "Toyota", "Camry"),
    ("سيارة نيسان باترول", "Nissan Patrol car", "Nissan", "Patrol"),
    ("سيارة هيونداي سوناتا", "Hyundai Sonata sedan", "Hyundai", "Sonata"),
    ("شاحنة إيسوزو", "Isuzu truck", "Isuzu", "NPR"),
    ("حافلة تويوتا كوستر", "Toyota Coaster bus", "Toyota", "Coaster"),
    ("سيارة لكزس", "Lexus car", "Lexus", "LX"),
    ("سيارة فورد تورس", "Ford Taurus sedan", "Ford", "Taurus"),
]
LAND = [
    ("أرض سكنية", "Residential land"),
    ("فيلا دوبلكس", "Duplex villa"),
    ("شقة سكنية", "Apartment"),
    ("مستودع تجاري", "Commercial warehouse"),
]
CITIES = ["Riyadh", "Jeddah", "Dammam", "Mecca", "Medina"]
DISTRICTS = ["الملقا", "النرجس", "الروضة", "الشاطئ", "العزيزية"]
ARABIC_TARGET = ("شاحنة مرسيدس أكتروس", "Mercedes Actros truck")
ARABIC_QUERY = "شاحنات أكتروس"  # the plural: only a stemmed search finds the singular
PLATE_TARGET, PLATE_QUERY = "KSA 7391", "KSA 7392"


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def make(maker: Any, lots: int, letters: int, now: datetime) -> dict[str, Any]:
    """The archive's auctions, assets and lots, the letters, and what the readers look for."""
    from django.db import connection

    from auction.models import Auction

    first = now - timedelta(days=400)
    auctions = Auction.objects.bulk_create(
        Auction(
            court=maker.court,
            number=f"BNC-R-{i:05d}",
            title_ar="مزاد الأرشيف",
            title_en=f"Archive sale {i}",
            starts_at=first,
            ends_at=now + timedelta(days=60),
            status=Auction.Status.LIVE,
            rules=maker_rules(),
            created_by=maker.staff,
            published_at=first + timedelta(minutes=i),
        )
        for i in range(max(1, -(-lots // AUCTION_SIZE)))
    )
    with connection.cursor() as cursor:
        _assets(cursor, maker, lots, now)
        _lots(cursor, [a.pk for a in auctions], lots, now)
        targets = _targets(cursor, lots)
        _letters(cursor, maker, letters, now)
        cursor.execute("ANALYZE")
        # Write the bulk load out now rather than during the measured window (the benchmark's
        # own cluster runs as its superuser; elsewhere there is no right to).
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("CHECKPOINT")
    return targets


def maker_rules() -> dict[str, Any]:
    from bench.data import RULES

    return dict(RULES)


def _assets(cursor: Any, maker: Any, count: int, now: datetime) -> None:
    vehicles_ar = _array([f"{ar} — {en}" for ar, en, _make, _model in VEHICLES])
    makes = _array([make for _ar, _en, make, _model in VEHICLES])
    models = _array([model for _ar, _en, _make, model in VEHICLES])
    land = _array([f"{ar} — {en}" for ar, en in LAND])
    cursor.execute(
        f"""
        INSERT INTO enforcement_seizedasset (
            kind, title, description, status, custody_location, vin, plate, make, model, year,
            colour, condition, deed_number, city, district, plan_number, plot_number, use,
            occupancy, transfer_costs_note, currency, registered_at, approved_at, import_key,
            approved_by_id, court_id, file_id, registered_by_id, public_location)
        SELECT
            CASE WHEN g %% 5 = 4 THEN 'REAL_ESTATE' ELSE 'VEHICLE' END,
            CASE WHEN g %% 5 = 4
                 THEN ({land})[g %% 4 + 1] || ' ' || ({_array(DISTRICTS)})[g %% 5 + 1]
                 ELSE ({vehicles_ar})[g %% 7 + 1] || ' ' || (2008 + g %% 16) END,
            '',
            CASE WHEN g %% 10 = 0 THEN 'LISTED' ELSE 'UNSOLD' END,
            '',
            CASE WHEN g %% 5 = 4 THEN '' ELSE upper(substr(md5(g || 'v'), 1, 17)) END,
            CASE WHEN g %% 5 = 4 THEN ''
                 ELSE translate(upper(substr(md5(g || 'p'), 1, 3)), '0123456789', 'GHJKLMNPRS')
                      || ' ' || lpad(((g * 7919) %% 10000)::text, 4, '0') END,
            CASE WHEN g %% 5 = 4 THEN '' ELSE ({makes})[g %% 7 + 1] END,
            CASE WHEN g %% 5 = 4 THEN '' ELSE ({models})[g %% 7 + 1] END,
            CASE WHEN g %% 5 = 4 THEN NULL ELSE 2008 + g %% 16 END,
            '', '',
            CASE WHEN g %% 5 = 4 THEN (310000000000 + g * 37)::text ELSE '' END,
            ({_array(CITIES)})[g %% 5 + 1],
            CASE WHEN g %% 5 = 4 THEN ({_array(DISTRICTS)})[g %% 5 + 1] ELSE '' END,
            '', '', '', 'VACANT', '', 'SAR', %s, %s, 'bench-archive-' || g,
            %s, %s, %s, %s, 'AREA'
        FROM generate_series(1, %s) AS g
        """,  # noqa: S608 (constants of this module only)
        [now, now, maker.supervisor.pk, maker.court.pk, maker.file.pk, maker.staff.pk, count],
    )


def _lots(cursor: Any, auction_ids: list[int], count: int, now: datetime) -> None:
    """Nine in ten ended (one in seventeen of those withdrawn), the others open or upcoming.

    An ended lot of the archive was settled when it closed, as the clock would have done.
    """
    cursor.execute(
        """
        INSERT INTO auction_lot (
            number, round, currency, opening_minor, deposit_minor, leader_order, bid_count, seq,
            starts_at, ends_at, original_ends_at, status, outcome, opened_at, closed_at,
            withdrawn_reason, asset_id, auction_id, settled_at)
        SELECT
            (a.g - 1) %% %s + 1, 1, 'SAR', 100000 + (a.g * 131 %% 900) * 1000, 10000, 0, 0, 0,
            starts, ends, ends, status,
            CASE status WHEN 'UNSOLD' THEN 'UNSOLD_NO_BIDS' WHEN 'WITHDRAWN' THEN 'WITHDRAWN'
                 ELSE '' END,
            CASE WHEN status = 'SCHEDULED' THEN NULL ELSE starts END,
            CASE WHEN status IN ('UNSOLD', 'WITHDRAWN') THEN ends END,
            CASE WHEN status = 'WITHDRAWN' THEN 'Paid before the sale' ELSE '' END,
            a.id, (%s::bigint[])[(a.g - 1) / %s + 1],
            CASE WHEN status IN ('UNSOLD', 'WITHDRAWN') THEN ends END
        FROM (
            SELECT id, substr(import_key, 15)::int AS g FROM enforcement_seizedasset
            WHERE import_key LIKE 'bench-archive-%%'
        ) AS a
        CROSS JOIN LATERAL (
            SELECT
                CASE WHEN a.g %% 20 = 0 THEN 'OPEN'
                     WHEN a.g %% 10 = 0 THEN 'SCHEDULED'
                     WHEN a.g %% 17 = 0 THEN 'WITHDRAWN'
                     ELSE 'UNSOLD' END AS status
        ) AS s
        CROSS JOIN LATERAL (
            SELECT
                CASE WHEN s.status = 'SCHEDULED' THEN %s::timestamptz + interval '1 day'
                     ELSE %s::timestamptz - interval '399 days' END AS starts,
                CASE WHEN s.status IN ('OPEN', 'SCHEDULED')
                          THEN %s::timestamptz + interval '2 days' + a.g * interval '1 minute'
                     ELSE %s::timestamptz - a.g * interval '5 minutes' END AS ends
        ) AS t
        """,
        [AUCTION_SIZE, auction_ids, AUCTION_SIZE, now, now, now, now],
    )


def _targets(cursor: Any, count: int) -> dict[str, Any]:
    """Two ended lots the readers search for: by a stemmed Arabic word, and by a near plate."""
    found: dict[str, Any] = {"arabic_query": ARABIC_QUERY, "plate_query": PLATE_QUERY}
    for name, g, changes in (
        ("arabic_lot", max(1, count // 3) | 1, {"title": " — ".join(ARABIC_TARGET)}),
        ("plate_lot", max(1, (2 * count) // 3) | 1, {"plate": PLATE_TARGET}),
    ):
        column, value = next(iter(changes.items()))
        cursor.execute(
            f"UPDATE enforcement_seizedasset SET {column} = %s, kind = 'VEHICLE', "  # noqa: S608
            "vin = 'BENCHTARGET' || lpad(%s::text, 6, '0') "
            "WHERE import_key = %s RETURNING id",
            [value, g, f"bench-archive-{g}"],
        )
        asset_id = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM auction_lot WHERE asset_id = %s", [asset_id])
        found[name] = cursor.fetchone()[0]
    return found


def _letters(cursor: Any, maker: Any, count: int, now: datetime) -> None:
    """Letters to one agency: a third answered, half of the others overdue."""
    from accounts.organisations import Agency

    agency, _ = Agency.objects.get_or_create(
        code="BENCH-TRAFFIC",
        defaults={"kind": "TRAFFIC", "name_ar": "إدارة المرور", "name_en": "Traffic department"},
    )
    cursor.execute(
        """
        INSERT INTO enforcement_agencyletter (
            number, subject_kind, language, subject, body, due_on, status, sent_at,
            acknowledged_at, acknowledged_by_id, answered_at, answered_by_id, answer,
            answer_document, agency_id, court_id, sent_by_id, file_id, payload, updated_at,
            follow_up_steps)
        SELECT
            'BNC-L-' || lpad(g::text, 7, '0'), 'INQUIRY', 'ar', 'استعلام عن مركبة ' || g, '',
            %s::date - 60 + (g %% 120), CASE WHEN g %% 3 = 0 THEN 'ANSWERED' ELSE 'SENT' END, %s,
            CASE WHEN g %% 3 = 0 THEN %s::timestamptz END,
            CASE WHEN g %% 3 = 0 THEN %s END,
            CASE WHEN g %% 3 = 0 THEN %s::timestamptz END,
            CASE WHEN g %% 3 = 0 THEN %s END,
            CASE WHEN g %% 3 = 0 THEN 'No record' ELSE '' END,
            '', %s, %s, %s, %s, '{}'::jsonb, %s, 0
        FROM generate_series(1, %s) AS g
        """,
        [
            now.date(), now, now, maker.staff.pk, now, maker.staff.pk,
            agency.pk, maker.court.pk, maker.staff.pk, maker.file.pk, now, count,
        ],
    )  # fmt: skip
    _followed_up(cursor, maker, now)


def _followed_up(cursor: Any, maker: Any, now: datetime) -> None:
    """The overdue letters' reminders and escalations, as the clock sent them over the months:
    an archive's letters were followed up as they fell due, so the clock's pass finds no step
    due in them (enforcement/services/followups.py), as in a court's steady state."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone

    today = timezone.localtime(now, ZoneInfo(maker.court.time_zone)).date()
    last = settings.LETTER_ESCALATE_AFTER_REMINDERS + 1
    steps = {
        "today": today,
        "last": last,
        "interval": settings.LETTER_REMINDER_INTERVAL_DAYS,
        "now": now,
    }
    # One statement: each overdue letter's count of steps set, then its steps' rows written.
    cursor.execute(
        """
        WITH due AS (
            SELECT id, LEAST(%(last)s, 1 + ((%(today)s::date - due_on) - 1) / %(interval)s) AS steps
            FROM enforcement_agencyletter
            WHERE number LIKE 'BNC-L-%%' AND status <> 'ANSWERED' AND due_on < %(today)s::date
        ), marked AS (
            UPDATE enforcement_agencyletter AS letter SET follow_up_steps = due.steps
            FROM due WHERE letter.id = due.id
            RETURNING letter.id, due.steps
        )
        INSERT INTO enforcement_letterfollowup (letter_id, step, kind, sent_at, recipients)
        SELECT marked.id, step, CASE WHEN step = %(last)s THEN 'ESCALATION' ELSE 'REMINDER' END,
               %(now)s, ''
        FROM marked, generate_series(1, marked.steps) AS step
        """,
        steps,
    )


def cursors(maker: Any, depths: int = 12) -> dict[str, list[str]]:
    """Page links deep into the catalog and the letters, as a reader who kept going holds."""
    from auction import catalog
    from auction.models import Lot
    from enforcement import selectors

    ended = Lot.objects.filter(status__in=catalog.ENDED, auction__status__in=catalog.VISIBLE)
    total = ended.count()
    deep_lots = []
    for i in range(1, depths + 1):
        lot = ended.order_by("ends_at", "pk")[max(0, total * i // (depths + 1))]
        deep_lots.append(catalog.BY_END.encode(2, lot))
    deep_letters = []
    segments = selectors.letters_overdue_first_segments(maker.staff, status="")
    for index, segment in enumerate(segments):
        size = segment.count()
        for i in range(1, depths // 2 + 1):
            if size:
                letter = segment.order_by("due_on", "pk")[max(0, size * i // (depths // 2 + 1))]
                deep_letters.append(selectors.LETTER_ORDER.encode(index, letter))
    return {"catalog": deep_lots, "letters": deep_letters}


def sample_lots(count: int) -> list[int]:
    """Lots of the archive for the lot-page readers, spread over it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id FROM auction_lot l JOIN enforcement_seizedasset a ON a.id = l.asset_id "
            "WHERE a.import_key LIKE 'bench-archive-%%' ORDER BY md5(l.id::text) LIMIT %s",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]
