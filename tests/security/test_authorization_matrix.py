"""Every endpoint × every role × own or other court, with the expected answer written down.

The list of endpoints is read from the URL configuration: an endpoint with no
entry here (or in the enforcement app's own matrix, tests/enforcement/
test_permissions.py) fails `test_every_endpoint_has_an_entry`. For each page
the table says what each role gets; for each action, every refused role gets
its refusal and nothing changes, and every allowed role gets past the check.

Answers: 302 = sent to log in; 403 = the role may not; 404 = another court's
(or person's) record, which looks exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import services as accounts
from accounts.roles import Capability, capabilities_of
from auction.bidding import decide as bidding
from auction.services import lifecycle
from core.models import AuditRecord
from core.money import Money
from payments import services as payments
from payments.models import Method, Payment, PaymentJob, Purpose, Refund
from tests.auction import factories
from tests.conftest import make_user
from tests.enforcement import test_permissions as enforcement_matrix

pytestmark = pytest.mark.django_db

ROLES = {
    "anonymous": None,
    "bidder": ("BIDDER", "own"),
    "bidder_other": ("BIDDER", "other"),
    "staff": ("EXECUTION_STAFF", "own"),
    "staff_other_court": ("EXECUTION_STAFF", "other"),
    "finance": ("FINANCE_STAFF", "own"),
    "finance_other_court": ("FINANCE_STAFF", "other"),
    "supervisor": ("SUPERVISOR", "own"),
    "supervisor_other_court": ("SUPERVISOR", "other"),
    "agency": ("AGENCY", "own"),
}
Expected = Callable[[str], int]


C = Capability


def has(role: str, capability: str) -> bool:
    spec = ROLES[role]
    return spec is not None and capability in capabilities_of(spec[0])


def public(role: str) -> int:
    return 200


def signed_in(role: str) -> int:
    return 302 if role == "anonymous" else 200


def capability(cap: str, *, scoped: bool = True) -> Expected:
    def expected(role: str) -> int:
        if role == "anonymous":
            return 302
        if not has(role, cap):
            return 403
        return 404 if scoped and role.endswith("other_court") else 200

    return expected


def owner(*owners: str, staff_cap: str | None = None) -> Expected:
    """The person's own record (and, with `staff_cap`, the court's staff); others see nothing."""

    def expected(role: str) -> int:
        if role == "anonymous":
            return 302
        if role in owners:
            return 200
        if staff_cap and has(role, staff_cap) and not role.endswith("other_court"):
            return 200
        return 404

    return expected


def bidders_only(role: str) -> int:
    if role == "anonymous":
        return 302
    return 200 if ROLES[role][0] == "BIDDER" else 403


def staff_of_team(role: str) -> int:
    """The support queue: staff of any team of the court (scoped inside the page)."""
    if role == "anonymous":
        return 302
    return 200 if ROLES[role][0] in ("EXECUTION_STAFF", "FINANCE_STAFF", "SUPERVISOR") else 403


def anonymous_only(role: str) -> int:
    """Log-in and sign-up: a signed-in visitor is sent on to the site."""
    return 200 if role == "anonymous" else 302


def ticket_readers(role: str) -> int:
    """The requester, and staff and supervisors of the court's team the ticket was routed to
    (a deposit complaint: the execution team)."""
    if role == "anonymous":
        return 302
    return 200 if role in ("bidder", "staff", "supervisor") else 404


def requesters_tickets(role: str) -> int:
    if role == "anonymous":
        return 302
    if ROLES[role][0] == "BIDDER":
        return 200
    return 404 if ROLES[role][0] == "AGENCY" else 302  # desk staff are sent to their queue


def requesters(role: str) -> int:
    if role == "anonymous":
        return 302
    return 200 if ROLES[role][0] == "BIDDER" else 403


def requester_action(role: str) -> int:
    """Only the requester acts on their ticket; the staff who read it are refused, and to
    anyone else it does not exist."""
    if role == "anonymous":
        return 302
    if role == "bidder":
        return 200
    return 403 if ticket_readers(role) == 200 else 404


def identity_document_readers(role: str) -> int:
    """The bidder, and staff who verify identities (bidders belong to no court)."""
    if role == "anonymous":
        return 302
    return 200 if role == "bidder" or has(role, C.VIEW_IDENTITY_DOCUMENTS) else 404


def register_for_lot(role: str) -> int:
    """Bidders register; anyone else is sent back to the lot page with the reason."""
    if role == "anonymous" or ROLES[role][0] == "BIDDER":
        return 200 if role != "anonymous" else 302
    return 302


def receipt_readers(role: str) -> int:
    if role == "anonymous":
        return 302
    if role == "bidder" or (
        ROLES[role][0] in ("EXECUTION_STAFF", "FINANCE_STAFF", "SUPERVISOR")
        and not role.endswith("other_court")
    ):
        return 200
    return 404


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, Any]


@pytest.fixture
def world(court, other_court) -> World:
    return build_world(court, other_court)


def build_world(court: Any, other_court: Any) -> World:
    """A user of each role and a record of each kind, in the court and in another."""
    users: dict[str, Any] = {}
    for name, spec in ROLES.items():
        if spec is None:
            continue
        role, where = spec
        if role == "BIDDER":
            users[name] = make_user(role, verified=True)
        elif role == "AGENCY":
            from accounts.organisations import Agency

            agency = Agency.objects.create(
                code="TRF", kind="TRAFFIC", country="SA", name_ar="المرور", name_en="Traffic"
            )
            users[name] = make_user(role, agency=agency)
        else:
            users[name] = make_user(role, court=court if where == "own" else other_court)
    bidder, finance, _staff = users["bidder"], users["finance"], users["staff"]

    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)
    type(registration).objects.filter(pk=registration.pk).update(bidder=bidder)
    bidding.place_bid(lot_id=lot.pk, user_id=bidder.pk, amount_minor=1_000)
    closed = factories.lot(court)
    lifecycle.close_lot(lot_id=closed.pk, now=closed.ends_at + timedelta(seconds=1))

    from payments.models import CourtAccount

    CourtAccount.objects.get_or_create(
        court=court, defaults={"iban": "SA0380000000608010167519", "bank_name": "Bank"}
    )
    paid = payments.collect_payment(
        payer=bidder,
        court=court,
        amount=Money(10_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="matrix:paid",
        method=Method.BANK_TRANSFER,
    )
    payments.confirm_bank_transfer(actor=finance, payment=paid, note="Statement line 7")
    refund = payments.refund_payment(payment=paid, reason="matrix")
    awaiting = payments.collect_payment(
        payer=bidder,
        court=court,
        amount=Money(20_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="matrix:awaiting",
        method=Method.BANK_TRANSFER,
    )
    card = payments.collect_payment(
        payer=bidder,
        court=court,
        amount=Money(30_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="matrix:card",
    )
    job = PaymentJob.objects.filter(subject_id=str(card.pk)).first()
    PaymentJob.objects.filter(pk=job.pk).update(status="NEEDS_ATTENTION")
    paid.refresh_from_db()

    from tests.aftersale.helpers import sold_lot
    from tests.support.conftest import open_ticket

    sale = sold_lot(court, finance)
    ticket = open_ticket(bidder, court)
    from support.models import Holiday

    holiday = Holiday.objects.create(
        court=court,
        name_ar="عطلة",
        name_en="Holiday",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    from aftersale import statements
    from aftersale.services import reconciliation

    statement = reconciliation.import_csv(
        actor=finance,
        data=b"date,amount,reference\n2026-11-01,100.00,RF00X\n",
        mapping=statements.ColumnMapping(date="date", amount="amount", reference="reference"),
        filename="s.csv",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.accounts.test_roles_and_identity import png_bytes

    type(bidder).objects.filter(pk=bidder.pk).update(identity_status="UNVERIFIED")
    bidder.refresh_from_db()
    accounts.submit_identity(user=bidder, document=SimpleUploadedFile("id.png", png_bytes()))
    from accounts.models import Company, PowerOfAttorney

    mandate = PowerOfAttorney(
        company=Company.objects.create(
            name_ar="شركة",
            name_en="Company",
            registration_country="SA",
            registration_number="1010000001",
        ),
        representative=bidder,
        valid_until=timezone.localdate(),
    )
    mandate.document.save("poa.png", SimpleUploadedFile("poa.png", png_bytes()), save=False)
    mandate.save()
    objects = {
        "user": bidder,
        "mandate": mandate,
        "lot": lot,
        "auction": lot.auction,
        "closed": closed,
        "paid": paid,
        "refund": refund,
        "awaiting": awaiting,
        "card": card,
        "job": job,
        "receipt": paid.receipt,
        "sale": sale,
        "ticket": ticket,
        "holiday": holiday,
        "statement": statement,
        "file": lot.asset.file,
        "photo": _photo(lot.asset),
        "letter": _letter(lot.asset.file, users["staff"]),
    }
    return World(users, objects)


def _letter(file: Any, sender: Any) -> Any:
    from accounts.organisations import Agency
    from enforcement.models import AgencyLetter

    return AgencyLetter.objects.create(
        court=file.court,
        number=f"{file.court.code}-L-000001",
        file=file,
        agency=Agency.objects.get(code="TRF"),
        subject_kind=AgencyLetter.Subject.INQUIRY,
        language="ar",
        subject="استعلام",
        body="نص الخطاب",
        due_on=timezone.localdate(),
        sent_by=sender,
    )


def _photo(asset: Any) -> Any:
    from django.core.files.base import ContentFile

    from enforcement.models import AssetPhoto
    from tests.accounts.test_roles_and_identity import png_bytes

    photo = AssetPhoto(asset=asset, width=40, height=30, uploaded_by=asset.registered_by)
    photo.image.save("p.png", ContentFile(png_bytes()), save=False)
    photo.thumbnail.save("t.png", ContentFile(png_bytes()), save=False)
    photo.save()
    return photo


def kwargs_for(name: str, world: World) -> dict[str, Any]:
    o = world.objects
    table: dict[str, dict[str, Any]] = {
        "accounts:identity_document": {"user_id": o["user"].pk},
        "accounts:review": {"user_id": o["user"].pk},
        "accounts:mandate_review": {"mandate_id": o["mandate"].pk},
        "accounts:mandate_document": {"mandate_id": o["mandate"].pk},
        "accounts:password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "auction:lot": {"lot_id": o["lot"].pk},
        "enforcement:photo_file": {"photo_id": o["photo"].pk, "size": "thumb"},
        "auction:register": {"lot_id": o["lot"].pk},
        "auction:lot_documents": {"lot_id": o["lot"].pk},
        "auction:viewings": {"lot_id": o["lot"].pk},
        "auction:staff_viewings": {"auction_id": o["auction"].pk, "lot_id": o["lot"].pk},
        "auction:watch": {"lot_id": o["lot"].pk},
        "auction:lot_record": {"lot_id": o["closed"].pk, "fmt": "json"},
        "auction:open_results": {"fmt": "json"},
        "auction:staff_detail": {"auction_id": o["auction"].pk},
        "auction:live_board": {"auction_id": o["auction"].pk},
        "auction:publish": {"auction_id": o["auction"].pk},
        "auction:withdraw": {"auction_id": o["auction"].pk, "lot_id": o["lot"].pk},
        "auction:annul": {"auction_id": o["auction"].pk, "lot_id": o["lot"].pk},
        "auction:cancel_propose": {"auction_id": o["auction"].pk},
        "auction:cancel_decide": {"auction_id": o["auction"].pk},
        "payments:pay": {"public_id": o["awaiting"].public_id},
        "payments:confirm_transfer": {"payment_id": o["awaiting"].pk},
        "payments:confirm_refund": {"refund_id": o["refund"].pk},
        "payments:retry_job": {"job_id": o["job"].pk},
        "receipt_pdf": {"number": o["receipt"].number},
        "receipt_verify": {"number": o["receipt"].number},
        "letter_verify": {"number": o["letter"].number},
        "aftersale:purchase": {"public_id": o["sale"].public_id},
        "aftersale:redeem": {"file_id": o["file"].pk},
        "support:ticket": {"number": o["ticket"].number},
        "support:message": {"number": o["ticket"].number},
        "support:answer": {"number": o["ticket"].number},
        "support:reopen": {"number": o["ticket"].number},
        "support:rate": {"number": o["ticket"].number},
        "support:holiday_remove": {"holiday_id": o["holiday"].pk},
        "aftersale:statement": {"statement_id": o["statement"].pk},
        "frontend:help_topic": {"slug": "rules"},
        "frontend:manifest": {"language": "ar"},
        "frontend:offline": {"language": "en"},
    }
    return table.get(name, {})


GET_POLICY: dict[str, Expected] = {
    "frontend:home": public,
    "frontend:help": public,
    "frontend:help_topic": public,
    "frontend:manifest": public,
    "frontend:offline": public,
    "frontend:service_worker": public,
    "healthz": public,  # the old address of /readyz
    "livez": public,
    "readyz": public,
    "frontend:status": staff_of_team,  # the service status page (superusers too)
    "auction:catalog": public,
    "auction:lot": public,
    "auction:open_data": public,
    "auction:open_results": public,
    "auction:lot_record": public,
    "auction:lot_documents": public,
    "auction:viewings": public,
    "auction:staff_viewings": capability(C.MANAGE_AUCTIONS),
    "receipt_verify": public,
    "signed_receipt_verify": public,
    "receipt_keys": public,
    "letter_verify": public,
    "accounts:login": anonymous_only,
    "accounts:sign_up": anonymous_only,
    "accounts:password_reset": public,
    "accounts:password_reset_done": public,
    "accounts:password_reset_complete": public,
    "accounts:password_reset_confirm": public,
    "frontend:workspace": signed_in,
    "accounts:profile": signed_in,
    "notifications:preferences": signed_in,
    "accounts:identity": signed_in,
    "auction:mine": signed_in,
    "payments:mine": signed_in,
    "support:mine": requesters_tickets,
    "support:new": requesters,
    "aftersale:purchases": signed_in,
    "aftersale:my_files": signed_in,
    "accounts:identity_document": identity_document_readers,
    "accounts:review_queue": capability(C.VERIFY_IDENTITY, scoped=False),
    "accounts:review": capability(C.VERIFY_IDENTITY, scoped=False),
    "accounts:companies": bidders_only,
    "accounts:mandate_document": identity_document_readers,
    "accounts:mandate_queue": capability(C.VERIFY_IDENTITY, scoped=False),
    "accounts:mandate_review": capability(C.VERIFY_IDENTITY, scoped=False),
    "enforcement:photo_file": public,  # the asset of this world is on sale: photos are public
    "frontend:announce": capability(C.PUBLISH_ANNOUNCEMENTS, scoped=False),
    "auction:staff_list": capability(C.MANAGE_AUCTIONS, scoped=False),
    "enforcement:letters_overdue": capability(C.VIEW_FILES, scoped=False),
    "auction:staff_create": capability(C.MANAGE_AUCTIONS, scoped=False),
    "auction:staff_detail": capability(C.MANAGE_AUCTIONS),
    "auction:live_board": capability(C.MANAGE_AUCTIONS),
    "auction:sale_rules": capability(C.EDIT_SALE_RULES, scoped=False),
    "payments:pay": owner("bidder"),
    "payments:finance": capability(C.VIEW_LEDGER, scoped=False),
    "payments:ledger": capability(C.VIEW_LEDGER, scoped=False),
    "receipt_pdf": receipt_readers,
    "support:ticket": ticket_readers,
    "support:queue": staff_of_team,
}
POST_POLICY: dict[str, Expected] = {
    "accounts:logout": public,
    "accounts:switch_language": public,
    "signed_receipt_verify_api": public,  # anyone checks a receipt: a verdict, never refused
    "auction:register": register_for_lot,
    "auction:watch": signed_in,
    "auction:publish": capability(C.MANAGE_AUCTIONS),
    "auction:withdraw": capability(C.MANAGE_AUCTIONS),
    "auction:annul": capability(C.APPROVE_SALES),
    "auction:cancel_propose": capability(C.MANAGE_AUCTIONS),
    "auction:cancel_decide": capability(C.MANAGE_AUCTIONS),
    "payments:confirm_transfer": capability(C.RECONCILE),
    "payments:confirm_refund": capability(C.RECONCILE),
    "payments:retry_job": capability(C.RECONCILE),
    "support:message": requester_action,
    "support:reopen": requester_action,
    "support:rate": requester_action,
}
# Endpoints whose own test modules hold their matrix (same roles, own/other court):
COVERED_ELSEWHERE = {
    # tests/agencies/test_webhooks.py: sending again a webhook delivery given up on, by staff of
    # the request's court (another court's staff get 404, a bidder is refused, nothing changes).
    "enforcement:webhook_redeliver",
    # tests/accounts/test_web_push.py: a JSON endpoint for signed-in people (401 for others),
    # each one's own browser subscription only.
    "accounts:push_subscription",
    # tests/aftersale/test_pages.py and test_maker_checker.py: finance pages and actions of
    # the court, the buyer's purchase page, the debtor's redemption.
    "aftersale:balances_csv",
    "aftersale:dashboard",
    "aftersale:disbursement_action",
    "aftersale:disbursements",
    "aftersale:distribution",
    "aftersale:distribution_cancel",
    "aftersale:purchase",
    "aftersale:reconciliation",
    "aftersale:redeem",
    "aftersale:report",
    "aftersale:resolve",
    "aftersale:sample_statement",
    "aftersale:seized_funds",
    "aftersale:statement",
    # tests/auction/test_budgets.py, test_next_rounds.py, test_bid_receipts.py: a bidder's own
    # budgets and bid receipts (another's are 404), next rounds by staff and the judge only.
    "auction:budgets",
    "auction:budget_new",
    "auction:budget_edit",
    "auction:budget_remove",
    "auction:bid_receipt",
    "auction:bid_receipt_pdf",
    "auction:bid_receipt_json",
    "auction:next_rounds",
    "auction:next_round_propose",
    "auction:next_round_decide",
    # tests/auction/test_catalog_permissions.py: saved searches, questions and their answers.
    "auction:saved_searches",
    "auction:save_search",
    "auction:saved_search_edit",
    "auction:saved_search_delete",
    "auction:ask",
    "auction:staff_questions",
    "auction:answer_question",
    "auction:reject_question",
    # tests/aftersale/test_objections_and_annulment.py: objections to a result, the judge's
    # review of a sale and the decisions.
    "aftersale:objection_file",
    "aftersale:sale_review",
    "aftersale:objection_decide",
    # tests/support/test_permissions.py: staff answers, attachments, reports, service levels.
    "support:answer",
    "support:attachment",
    "support:holiday_remove",
    "support:report",
    "support:report_csv",
    "support:report_pdf",
    "support:service_levels",
    # tests/enforcement/test_signed_orders.py: a signed order or minutes, to the court's staff
    # only; the public page of a signed document's number (its own 404 for an unknown one).
    "enforcement:signed_document",
    "signed_document_verify",
    # tests/identity/test_digital_id_sign_in.py: the digital-ID sign-in, open to anyone like the
    # log-in page (its start, the provider's callback, and the new account's page).
    "accounts:digital_id_start",
    "accounts:digital_id_callback",
    "accounts:digital_id_sign_up",
    # tests/accounts/test_second_factor.py and tests/browser/test_passkeys.py: the second
    # factor's pages, open to any signed-in account for its own factors only.
    "accounts:security",
    "accounts:second_factor",
    "accounts:passkey_register_options",
    "accounts:passkey_register",
    "accounts:passkey_options",
    "accounts:passkey_verify",
    # tests/accounts/test_roles_page.py: the roles page, for the ASSIGN_ROLES capability, a
    # supervisor's court only.
    "accounts:roles",
    "accounts:role",
    "accounts:reset_second_factor",
    # tests/aftersale/test_settlements.py and tests/enforcement/test_settlement_plans.py: a
    # settlement's pages, for its file's debtor (proposal, schedule, payment, decision) and
    # the court's staff and judges (record, decide, decision PDF), another court's 404.
    "aftersale:my_settlement",
    "aftersale:my_settlement_pdf",
    "aftersale:pay_instalment",
    "enforcement:settlement_create",
    "enforcement:settlement_decide",
    "enforcement:settlement_detail",
    "enforcement:settlement_pdf",
}
# Not pages of ours to police here: the provider's signed webhook (tests/payments/
# test_webhooks.py), the agencies' token API (tests/enforcement/test_api.py), and Django's
# admin, which only accounts flagged as admin staff may open (checked below).
# The agencies' OAuth2 API and its token endpoint are tested in tests/agencies/.
EXEMPT_PREFIXES = ("admin:", "agency_api:", "agencies_api:")
EXEMPT = {"payments:stripe_webhook", "oauth_token", "oauth_revoke"}


def all_endpoints(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from all_endpoints(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}"


def enforcement_entries() -> set[str]:
    names = {entry[0] for entry in enforcement_matrix.GET_PAGES}
    names |= {entry[0] for entry in enforcement_matrix.POST_ACTIONS}
    return names


def test_every_endpoint_has_an_entry():
    known = set(GET_POLICY) | set(POST_POLICY) | COVERED_ELSEWHERE | EXEMPT | enforcement_entries()

    missing = {
        name
        for name in set(all_endpoints())
        if name not in known and not name.startswith(EXEMPT_PREFIXES)
    }

    assert not missing, f"add these endpoints to the authorization matrix: {sorted(missing)}"


def login(client, world: World, role: str) -> None:
    client.logout()
    if ROLES[role] is not None:
        client.force_login(world.users[role])


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_answers_each_role_as_written(client, world, role):
    login(client, world, role)
    wrong = {}

    for name, policy in sorted(GET_POLICY.items()):
        response = client.get(reverse(name, kwargs=kwargs_for(name, world)))
        answer = response.status_code
        expected = policy(role)
        if answer != expected:
            wrong[name] = f"{answer} (expected {expected})"

    assert not wrong, wrong


# A plausible form for any of the actions: a refused role must be refused even when the
# form would pass.
PAYLOAD = {
    "reason": "x",
    "note": "matrix note",
    "seq": 1,
    "score": 5,
    "comment": "ok",
    "body": "hello",
    "language": "en",
}


def state() -> tuple[Any, ...]:
    return (
        AuditRecord.objects.count(),
        list(Payment.objects.order_by("pk").values_list("status", flat=True)),
        list(Refund.objects.order_by("pk").values_list("status", flat=True)),
        list(PaymentJob.objects.order_by("pk").values_list("status", "attempts")),
    )


@pytest.mark.parametrize("role", list(ROLES))
def test_every_action_refuses_the_wrong_roles_and_changes_nothing(client, world, role):
    login(client, world, role)
    wrong = {}

    for name, policy in sorted(POST_POLICY.items()):
        expected = policy(role)
        if expected == 200:
            continue  # allowed: checked below
        login(client, world, role)
        before = state()
        response = client.post(
            reverse(name, kwargs=kwargs_for(name, world)),
            PAYLOAD,
        )
        if response.status_code != expected:
            wrong[name] = f"{response.status_code} (expected {expected})"
        elif state() != before:
            wrong[name] = "refused but something changed"

    assert not wrong, wrong


@pytest.mark.parametrize("role", list(ROLES))
def test_every_action_lets_the_allowed_roles_through(client, world, role):
    login(client, world, role)
    wrong = {}

    for name, policy in sorted(POST_POLICY.items()):
        if policy(role) != 200:
            continue
        login(client, world, role)  # logging out is one of the actions
        response = client.post(
            reverse(name, kwargs=kwargs_for(name, world)),
            PAYLOAD,
        )
        refused = response.status_code in (403, 404) or (
            response.status_code == 302 and "/accounts/login/" in response["Location"]
        )
        if refused:
            wrong[name] = str(response.status_code)

    assert not wrong, wrong


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_admin_site_is_for_admin_accounts_only(client, world, role):
    login(client, world, role)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
