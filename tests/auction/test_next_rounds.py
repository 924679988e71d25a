"""Next rounds: the workspace lists unsold lots with the court's rule for the next opening,
staff propose, the judge approves, and the lot is relisted with its history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.organisations import Court
from auction.models import Lot, RoundProposal, SaleRules
from auction.services import lifecycle, rounds
from core.errors import DomainError
from core.money import Money
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def draft(court, staff, *, days=30):
    starts = timezone.now() + timedelta(days=days)
    return lifecycle.create_auction(
        actor=staff,
        title_ar="مزاد المركبات",
        title_en="Vehicles",
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
    )


def unsold(court, **rules):
    lot = factories.lot(court, opening_minor=8_000_000, rules=rules)
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    lot.refresh_from_db()
    assert lot.status == Lot.Status.UNSOLD
    return lot


def client_for(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["mazad_language"] = language
    return client


def test_the_rule_gives_the_next_opening_as_a_share_of_the_appraisal_or_a_reduction(court):
    by_share = unsold(court, round_opening_bp=[6_000, 4_500])
    by_reduction = unsold(court)  # no share for round 2: 20 % below the lot's own opening

    assert lifecycle.next_round_opening(by_share) == 6_000_000  # 60 % of 10,000,000
    assert lifecycle.next_round_opening(by_reduction) == 6_400_000


def test_staff_propose_the_judge_approves_and_the_lot_is_relisted_with_its_history(
    court, staff, supervisor
):
    SaleRules.objects.update_or_create(court=court, defaults={"round_opening_bp": [7_000]})
    lot = unsold(court, round_opening_bp=[6_000])  # the lot's snapshot, not today's rules
    later = draft(court, staff, days=60)

    page = client_for(staff).get("/staff/next-rounds/")
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r[0].lot.pk == lot.pk)[0]
    assert row.opening == Money(6_000_000, "SAR")
    assert row.share_bp == 6_000
    assert [earlier.pk for earlier in row.history] == [lot.pk]

    response = client_for(staff).post(
        f"/staff/next-rounds/lots/{lot.pk}/propose/", {f"l{lot.pk}-auction": later.pk}
    )
    assert response.status_code == 302
    proposal = RoundProposal.objects.get(lot=lot)
    assert (proposal.round, proposal.opening_minor) == (2, 6_000_000)
    assert not Lot.objects.filter(previous_lot=lot).exists()  # nothing relisted before the judge

    response = client_for(supervisor, "ar").post(
        f"/staff/next-rounds/{proposal.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 302
    relisted = Lot.objects.get(previous_lot=lot)
    assert (relisted.auction_id, relisted.round, relisted.opening_minor) == (
        later.pk,
        2,
        6_000_000,
    )
    proposal.refresh_from_db()
    assert proposal.status == RoundProposal.Status.APPROVED
    assert proposal.new_lot_id == relisted.pk
    assert rounds.history(relisted) == [lot]
    assert lot.pk not in [r.lot.pk for r in rounds.unsold_lots(court_id=court.pk)]

    lifecycle.publish_auction(actor=staff, auction_id=later.pk, now=timezone.now())
    public = Client(HTTP_ACCEPT_LANGUAGE="en")
    public.cookies["mazad_language"] = "en"
    body = public.get(f"/lots/{relisted.pk}/").content.decode()
    assert "Round 2 of this asset" in body
    assert lot.reference in body


@pytest.mark.parametrize(
    ("post", "field", "code"),
    [
        ({}, "auction", "required"),
        ({"auction": "999999"}, "auction", "invalid_choice"),
        ({"auction": "LATER", "opening": "abc"}, "opening", "amount_format"),
        ({"auction": "LATER", "opening": "1.234"}, "opening", "amount_decimals"),
        ({"auction": "EARLIER"}, "auction", "next_round_not_later"),
        ({"auction": "LATER", "opening": "ABOVE"}, "opening", "next_round_opening_above"),
    ],
)
def test_a_bad_proposal_is_refused_naming_the_field_and_changes_nothing(
    court, staff, post, field, code
):
    lot = unsold(court)
    later, earlier = draft(court, staff, days=60), draft(court, staff, days=-1)
    above = str(Money(lot.opening_minor + 1, lot.currency).to_decimal())
    choice = {"LATER": later.pk, "EARLIER": earlier.pk, "ABOVE": above}
    data = {f"l{lot.pk}-{k}": choice.get(v, v) for k, v in post.items()}

    response = client_for(staff, "ar").post(f"/staff/next-rounds/lots/{lot.pk}/propose/", data)

    assert response.status_code == 400
    form = next(f for row, f in response.context["rows"] if row.lot.pk == lot.pk)
    assert field in form.errors
    assert code in [e.code for e in form.errors.as_data()[field]]
    assert not RoundProposal.objects.exists()


def test_who_may_propose_and_decide(court, staff, supervisor):
    lot = unsold(court)
    later = draft(court, staff, days=60)
    bidder = make_user("BIDDER", verified=True)
    elsewhere = Court.objects.create(
        code="KWC", name_ar="الكويت", name_en="Kuwait", city="Kuwait", currency="KWD"
    )
    stranger = make_user("EXECUTION_STAFF", court=elsewhere)
    stranger_judge = make_user("SUPERVISOR", court=elsewhere)

    assert client_for(bidder).get("/staff/next-rounds/").status_code == 403
    assert (
        client_for(stranger)
        .post(f"/staff/next-rounds/lots/{lot.pk}/propose/", {f"l{lot.pk}-auction": later.pk})
        .status_code
        == 404
    )
    proposal = rounds.propose(actor=staff, lot_id=lot.pk, auction_id=later.pk)
    with pytest.raises(DomainError) as twice:
        rounds.propose(actor=staff, lot_id=lot.pk, auction_id=later.pk)
    assert twice.value.code == "next_round_proposed"

    decide = f"/staff/next-rounds/{proposal.pk}/decide/"
    assert client_for(staff).post(decide, {"decision": "approve"}).status_code == 403
    assert client_for(stranger_judge).post(decide, {"decision": "approve"}).status_code == 404
    refused = client_for(supervisor).post(decide, {"decision": "reject"})
    assert refused.status_code == 400  # a rejection needs its reason
    proposal.refresh_from_db()
    assert proposal.status == RoundProposal.Status.PROPOSED

    assert (
        client_for(supervisor)
        .post(decide, {"decision": "reject", f"p{proposal.pk}-note": "Wait for a new appraisal"})
        .status_code
        == 302
    )
    proposal.refresh_from_db()
    assert proposal.status == RoundProposal.Status.REJECTED
    assert not Lot.objects.filter(previous_lot=lot).exists()
    again = rounds.propose(actor=staff, lot_id=lot.pk, auction_id=later.pk)  # may be proposed anew
    assert again.status == RoundProposal.Status.PROPOSED


def test_the_rounds_run_out_and_the_lot_is_no_longer_offered(court, staff):
    lot = unsold(court, max_rounds=1)

    assert lot.pk not in [r.lot.pk for r in rounds.unsold_lots(court_id=court.pk)]
    with pytest.raises(DomainError) as error:
        rounds.propose(actor=staff, lot_id=lot.pk, auction_id=draft(court, staff, days=60).pk)
    assert error.value.code == "no_more_rounds"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("abc", "round_opening"),
        ("250", "round_opening"),
        ("0", "round_opening"),
        ("60, 50, 40, 30", "round_opening_count"),
        ("60.123", "round_opening"),
    ],
)
def test_the_sale_rules_page_refuses_a_bad_round_opening(court, supervisor, text, code):
    rules = lifecycle.rules_for(court)
    page = client_for(supervisor).get("/staff/sale-rules/")
    data = {
        name: value for name, value in page.context["form"].initial.items() if value is not None
    }
    data["round_openings"] = text

    response = client_for(supervisor, "ar").post("/staff/sale-rules/", data)

    assert response.status_code == 400
    assert code in [e.code for e in response.context["form"].errors.as_data()["round_openings"]]
    rules.refresh_from_db()
    assert rules.round_opening_bp == []


def test_the_sale_rules_page_saves_the_round_openings_into_the_next_snapshot(court, supervisor):
    page = client_for(supervisor).get("/staff/sale-rules/")
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data["round_openings"] = "64, ٥١٫٢"

    assert client_for(supervisor).post("/staff/sale-rules/", data).status_code == 302
    rules = lifecycle.rules_for(court)
    assert rules.round_opening_bp == [6_400, 5_120]
    assert rules.snapshot()["round_opening_bp"] == [6_400, 5_120]
