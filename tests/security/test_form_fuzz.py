"""Every form a user can reach, fuzzed: wrong types, lengths, encodings, Arabic and other
Unicode edge cases, lying uploads. No answer is ever a server error.

The forms are found, not listed: for each role the test walks the site from the pages
of the two authorization matrices (whose worlds it builds, with a few records more in
the states that show the remaining forms), following links (a few pages per view), and
collects every POST form with its fields, buttons included. A new form is fuzzed
without anyone writing it down here; `test_the_crawl_reaches_every_form` says which
actions no role's crawl found a form for.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.enforcement import test_permissions as enforcement_matrix
from tests.enforcement.conftest import agency, other_agency  # noqa: F401  (fixtures)
from tests.security import test_authorization_matrix as matrix
from tests.security.crawl import crawl

pytestmark = pytest.mark.django_db

FUZZ_ROLES = ["anonymous", "bidder", "buyer", "staff", "finance", "supervisor", "agency"]
EXAMPLES = 5


@pytest.fixture
def site(court, other_court, agency, other_agency) -> dict[str, Any]:  # noqa: F811
    """Both matrices' worlds, and records in the states that show the remaining forms:
    a lot open for registration, a resolved ticket, a sale paid in full, a draft auction
    whose cancellation is proposed."""
    from aftersale import services as aftersale
    from auction.bidding import decide as bidding
    from auction.services import cancellation, lifecycle
    from payments import services as payments
    from payments.models import Method
    from support import services as support
    from tests.aftersale.helpers import sold_lot
    from tests.auction import factories
    from tests.support.conftest import open_ticket

    world = matrix.build_world(court, other_court)
    files = enforcement_matrix.build_world(court, other_court, agency, other_agency)
    users = dict(world.users)
    users["agency"] = files.users["agency"]
    users["buyer"] = world.objects["sale"].buyer
    seeds = [
        reverse(name, kwargs=matrix.kwargs_for(name, world)) for name in sorted(matrix.GET_POLICY)
    ]
    seeds += [
        enforcement_matrix.url_of(files, name, key) for name, key, _ in enforcement_matrix.GET_PAGES
    ]
    extra_lot = factories.lot(court)
    registration = factories.registered_bidder(extra_lot)
    bidding.place_bid(lot_id=extra_lot.pk, user_id=registration.bidder_id, amount_minor=1_000)
    resolved = open_ticket(users["bidder"], court, subject="Resolved")
    support.resolve(actor=users["staff"], ticket_id=resolved.pk, body="Refunded today.")
    paid = sold_lot(court, users["finance"])
    payment = aftersale.start_balance_payment(
        buyer=paid.buyer, sale_id=paid.pk, method=Method.BANK_TRANSFER
    )
    payments.confirm_bank_transfer(actor=users["finance"], payment=payment, note="Line 9")
    starts = timezone.now() + timedelta(days=30)
    draft = lifecycle.create_auction(
        actor=users["staff"],
        title_ar="مسودة",
        title_en="Draft",
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
    )
    # A proposed cancellation shows the judge's decision form on the draft's page.
    cancellation.propose_cancellation(
        actor=users["staff"], auction_id=draft.pk, reason="The debt was paid"
    )
    seeds += [
        reverse("auction:staff_detail", args=[draft.pk]),
        reverse("auction:live_board", args=[extra_lot.auction_id]),
        reverse("auction:lot", args=[extra_lot.pk]),
        reverse("support:ticket", args=[resolved.number]),
        reverse("aftersale:distribution", args=[paid.pk]),
    ]
    return {"users": users, "seeds": seeds}


def login(client: Any, site: dict[str, Any], role: str) -> None:
    client.logout()
    if role != "anonymous":
        client.force_login(site["users"][role])


# Values that break parsers: numbers in other scripts and notations, dates that are not,
# huge and empty strings, control and direction characters, Arabic with diacritics.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    "٣٤٥",
    "١٢٫٥",
    "12,5",
    "0x1F",
    "99999999999999999999999999",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31T25:61",
    "\x00",
    "a\x00b",
    "\u202e\u200f\u061c",
    "\ufeff",
    "مُزَادٌ عَلَنِيٌّ",
    "𝔐𝔞𝔷𝔞𝔡 😀",
    "<script>alert(1)</script>",
    "'; DROP TABLE auction_lot; --",
    "%s %(x)s {0}",
    "x" * 5000,
    "م" * 20_000,
]
values = (
    st.sampled_from(NASTY)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300)
    | st.integers(min_value=-(2**64), max_value=2**64).map(str)
)
field_values = values | st.lists(values, min_size=2, max_size=3)
# Uploads that lie: an image name over text, a PDF over random bytes, a huge empty image.
uploads = st.one_of(
    st.builds(
        lambda name, body, kind: SimpleUploadedFile(name, body, content_type=kind),
        st.sampled_from(
            ["photo.jpg", "scan.pdf", "id.png", "statement.csv", "x", "../../etc/passwd"]
        ),
        st.binary(max_size=2_000)
        | st.sampled_from(
            [
                b"%PDF-1.4\n%%EOF",
                b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
                b"GIF89a" + b"\xff" * 20,
                b"date,amount,reference\n\xff\xfe,1,2\n",
            ]
        ),
        st.sampled_from(["image/jpeg", "application/pdf", "text/csv", "text/html", ""]),
    ),
    st.just(None),
)


def fuzz(client: Any, site: dict[str, Any], role: str, form: dict[str, Any]) -> None:
    names = sorted(form["fields"])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        login(client, site, role)
        body: dict[str, Any] = {}
        for name in names:
            kinds = form["fields"][name]
            if "file" in kinds:
                upload = data.draw(uploads)
                if upload is not None:
                    body[name] = upload
            elif data.draw(st.booleans()):
                choices = sorted(k for k in kinds if k not in ("text", "select", "textarea"))
                body[name] = data.draw(field_values | st.sampled_from(choices or [""]))
        response = client.post(form["url"], body)
        assert response.status_code < 500, (role, form["url"], body)

    check()


def raw_encodings(client: Any, site: dict[str, Any], role: str, form: dict[str, Any]) -> None:
    """Bodies that are not valid UTF-8 or not form-encoded at all."""
    names = sorted(form["fields"]) or ["x"]
    form_encoded = "application/x-www-form-urlencoded"
    bodies = [
        ("&".join(f"{name}=%FF%FE%C0%AF" for name in names).encode(), form_encoded),
        ("&".join(f"{name}=" + "%" for name in names).encode(), form_encoded),
        (b"\xff\xfe\x00\x00" * 64, "multipart/form-data"),  # and no boundary
    ]
    for body, content_type in bodies:
        login(client, site, role)
        response = client.generic("POST", form["url"], body, content_type=content_type)
        assert response.status_code < 500, (role, form["url"], body[:40], content_type)


def forms_of(client: Any, site: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    login(client, site, role)
    return crawl(client, site["seeds"]).forms


# Actions that have no form of their own to find: each is fuzzed where it is tested.
NO_FORM = {
    # The import page posts each step itself (htmx, no fields); the files behind it are
    # fuzzed through the import form here, and tests/enforcement/test_imports.py drives
    # the steps.
    "enforcement:import_step",
    # The public receipt check's JSON API has no form (the page's form is fuzzed here); its bad
    # bodies are tested in tests/auction/test_signed_bid_receipts.py.
    "signed_receipt_verify_api",
    # An order's actions: issuing is now the signing page (fuzzed here), and an order issued to
    # an agency online moves by the agency's typed answers (tests/agencies/test_answers.py); the
    # staff actions left are driven with bad input in tests/enforcement/test_permissions.py.
    "enforcement:order_action",
}


def test_every_form_of_every_role_is_found_and_no_input_makes_a_server_error(client, site):
    """One walk per role finds the forms; every action must have been found by some
    role; then each form is fuzzed as the role that found it."""
    expected = set(matrix.POST_POLICY) | {entry[0] for entry in enforcement_matrix.POST_ACTIONS}
    found_by = {role: forms_of(client, site, role) for role in FUZZ_ROLES}
    found = {key.rsplit(":", 1)[0] for forms in found_by.values() for key in forms}

    assert not expected - found - NO_FORM, sorted(expected - found - NO_FORM)
    for role, forms in found_by.items():
        for form in forms.values():
            fuzz(client, site, role, form)
            raw_encodings(client, site, role, form)
