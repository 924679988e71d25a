"""Every enforcement page and action × every role × own or other court (or agency).

Anonymous visitors are sent to log in; a role without the capability gets 403;
a record of another court or agency is 404 (exactly like a missing one); and a
refused POST changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Capability, capabilities_of
from core.models import AuditRecord
from enforcement import services
from enforcement.models import (
    AgencyAnswer,
    AgencyLetter,
    ApiToken,
    AssetDocument,
    AssetImport,
    AssetPhoto,
    EnforcementFile,
    EnforcementRequest,
    SeizedAsset,
    SeizureOrder,
)
from tests.conftest import make_user
from tests.enforcement.conftest import (
    IBAN_SA,
    open_file,
    pdf_upload,
    person,
    png_upload,
    tomorrow,
    vehicle,
)

pytestmark = pytest.mark.django_db

ROLES = {
    "anonymous": None,
    "bidder": ("BIDDER", None),
    "staff": ("EXECUTION_STAFF", "own"),
    "staff_other_court": ("EXECUTION_STAFF", "other"),
    "finance": ("FINANCE_STAFF", "own"),
    "supervisor": ("SUPERVISOR", "own"),
    "supervisor_other_court": ("SUPERVISOR", "other"),
    "agency": ("AGENCY", "own"),
    "agency_other": ("AGENCY", "other"),
}


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, Any]


@pytest.fixture
def world(court, other_court, agency, other_agency) -> World:
    return build_world(court, other_court, agency, other_agency)


def build_world(court: Any, other_court: Any, agency: Any, other_agency: Any) -> World:
    """A user of each role and a record of each kind, in the court and in another."""
    users: dict[str, Any] = {}
    for name, spec in ROLES.items():
        if spec is None:
            continue
        role, where = spec
        if role == "AGENCY":
            users[name] = make_user(role, agency=agency if where == "own" else other_agency)
        elif role == "BIDDER":
            users[name] = make_user(role, verified=True)
        else:
            users[name] = make_user(role, court=court if where == "own" else other_court)
    staff, supervisor = users["staff"], users["supervisor"]
    file = open_file(staff, document=pdf_upload("instrument.pdf"))
    asset = services.register_asset(actor=staff, file_id=file.pk, details=vehicle())
    services.add_photos(actor=staff, asset_id=asset.pk, uploads=[png_upload()])
    services.add_document(actor=staff, asset_id=asset.pk, title="Report", upload=pdf_upload())
    appraisal = services.record_appraisal(
        actor=staff,
        asset_id=asset.pk,
        appraiser="A",
        appraised_on=timezone.localdate(),
        value_minor=1000,
        report=pdf_upload("appraisal.pdf"),
    )
    encumbrance = services.add_encumbrance(
        actor=staff, asset_id=asset.pk, kind="LIEN", holder="Bank", amount_minor=None
    )
    order = services.request_order(
        actor=staff,
        file_id=file.pk,
        kind="BANK_FUNDS",
        agency_id=agency.pk,
        target=services.OrderTarget(iban=IBAN_SA),
    )
    letter = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="SEIZE",
        language="en",
        due_on=tomorrow(),
    )
    answered = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="INQUIRY",
        language="en",
        due_on=tomorrow(),
    )
    services.answer_letter(
        actor=users["agency"], letter_id=answered.pk, answer="None", document=pdf_upload()
    )
    request = services.submit_request(
        applicant=users["bidder"],
        court=court,
        debtor=person(id_number="1000000016"),
        instrument=services.Instrument("CHEQUE", "CH-1", timezone.localdate()),
        claim_minor=50_000,
        applicant_iban=IBAN_SA,
        document=pdf_upload(),
    )
    token = services.issue_api_token(actor=users["agency"], name="Registry system").token
    agency_answer = AgencyAnswer.objects.create(
        letter=letter,
        order=order,
        agency=agency,
        kind="NOTHING_FOUND",
        document_type="application/pdf",
    )
    agency_answer.document.save("answer.pdf", pdf_upload(), save=True)
    batch = AssetImport.objects.create(
        court=court, source_name="x.csv", uploaded_by=staff, total_rows=0, status="DONE"
    )
    objects = {
        "file": file,
        "asset": asset,
        "photo": asset.photos.get(),
        "document": AssetDocument.objects.get(asset=asset),
        "appraisal": appraisal,
        "encumbrance": encumbrance,
        "order": order,
        "letter": letter,
        "answered": answered,
        "request": request,
        "token": token,
        "agency_answer": agency_answer,
        "import": batch,
        "supervisor": supervisor,
    }
    return World(users, objects)


def state() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    return (
        list(EnforcementFile.objects.order_by("pk").values_list("status", "claim_minor")),
        list(SeizedAsset.objects.order_by("pk").values_list("status", "title")),
        list(SeizureOrder.objects.order_by("pk").values_list("status", flat=True)),
        list(AgencyLetter.objects.order_by("pk").values_list("status", flat=True)),
        list(EnforcementRequest.objects.order_by("pk").values_list("status", flat=True)),
        AssetPhoto.objects.count(),
        AssetDocument.objects.count(),
        list(ApiToken.objects.order_by("pk").values_list("revoked_at", flat=True)),
        AuditRecord.objects.count(),
    )


def has(role: str, capability: str) -> bool:
    spec = ROLES[role]
    return spec is not None and capability in capabilities_of(spec[0])


def court_policy(capability: str, *, scoped: bool = True, success: int = 200):
    """Capability-guarded page or action on a record of the court."""

    def expected(role: str) -> int:
        if role == "anonymous":
            return 302
        if not has(role, capability):
            return 403
        if scoped and role.endswith("other_court"):
            return 404
        return success

    return expected


def asset_file_policy():
    """Files of an asset: its court's staff; anyone else only once the asset is on public sale.

    The asset of these tests is not on sale, so to everyone else it does not exist (404).
    """

    def expected(role: str) -> int:
        if has(role, V) and not role.endswith("other_court"):
            return 200
        return 404

    return expected


def letter_policy(*, scoped: bool = True, success: int = 200):
    """Staff of the sending court and users of the receiving agency; others are refused."""

    def expected(role: str) -> int:
        if role == "anonymous":
            return 302
        if not (has(role, Capability.VIEW_FILES) or has(role, Capability.ANSWER_LETTERS)):
            return 403
        if scoped and (role.endswith("other_court") or role == "agency_other"):
            return 404
        return success

    return expected


def agency_policy(*, scoped: bool = True, success: int = 302):
    def expected(role: str) -> int:
        if role == "anonymous":
            return 302
        if not has(role, Capability.ANSWER_LETTERS):
            return 403
        if scoped and role == "agency_other":
            return 404
        return success

    return expected


def request_policy(*, scoped: bool = True, success: int = 200):
    def expected(role: str) -> int:
        if role == "anonymous":
            return 302
        if not (has(role, Capability.MANAGE_FILES) or has(role, Capability.FILE_REQUESTS)):
            return 403
        if scoped and role.endswith("other_court"):
            return 404
        return success

    return expected


def photo_policy(role: str) -> int:
    return 200 if role in ("staff", "finance", "supervisor") else 404


def order_issue_policy(role: str) -> int:
    if role == "anonymous":
        return 302
    if not has(role, Capability.VIEW_FILES):
        return 403
    if role.endswith("other_court"):
        return 404
    return 302 if has(role, Capability.ISSUE_ORDERS) else 403


def any_signed_in(role: str) -> int:
    return 302 if role == "anonymous" else 200


M, V = Capability.MANAGE_FILES, Capability.VIEW_FILES
GET_PAGES = [
    ("frontend:workspace", None, any_signed_in),
    ("enforcement:file_list", None, court_policy(V, scoped=False)),
    ("enforcement:file_create", None, court_policy(M, scoped=False)),
    ("enforcement:file_detail", "file", court_policy(V)),
    ("enforcement:file_edit", "file", court_policy(M)),
    ("enforcement:party_add", "file", court_policy(M)),
    ("enforcement:instrument_document", "file", court_policy(V)),
    ("enforcement:order_create", "file", court_policy(M)),
    ("enforcement:order_sign", "order", court_policy(Capability.ISSUE_ORDERS)),
    ("enforcement:order_draft", "order", court_policy(Capability.ISSUE_ORDERS)),
    ("enforcement:asset_create", "file", court_policy(M)),
    ("enforcement:letter_send", "file", court_policy(M)),
    ("enforcement:asset_detail", "asset", court_policy(V)),
    ("enforcement:asset_edit", "asset", court_policy(M)),
    ("enforcement:appraisal_record", "asset", court_policy(M)),
    ("enforcement:document_file", "document", asset_file_policy()),
    ("enforcement:appraisal_report", "appraisal", court_policy(V)),
    ("enforcement:letter_list", None, letter_policy(scoped=False)),
    ("enforcement:letter_detail", "letter", letter_policy()),
    ("enforcement:letter_pdf", "letter", letter_policy()),
    ("enforcement:answer_document", "answered", letter_policy()),
    ("enforcement:api_tokens", None, agency_policy(scoped=False, success=200)),
    ("enforcement:request_list", None, request_policy(scoped=False)),
    ("enforcement:request_create", None, court_policy(Capability.FILE_REQUESTS, scoped=False)),
    ("enforcement:request_detail", "request", request_policy()),
    ("enforcement:request_instrument", "request", request_policy()),
    ("enforcement:import_start", None, court_policy(M, scoped=False)),
    ("enforcement:import_template", None, court_policy(M, scoped=False)),
    ("enforcement:import_detail", "import", court_policy(M)),
    ("enforcement:order_detail", "order", court_policy(V)),
    ("enforcement:order_answer_document", "agency_answer", court_policy(V)),
]


def url_of(world: World, name: str, key: str | None, *extra: Any) -> str:
    args = [world.objects[key].pk] if key else []
    return reverse(name, args=[*args, *extra])


def as_role(client: Any, world: World, role: str) -> None:
    client.logout()
    if role != "anonymous":
        client.force_login(world.users[role])


@pytest.mark.parametrize(("name", "key", "policy"), GET_PAGES, ids=[p[0] for p in GET_PAGES])
def test_every_page_answers_each_role_as_the_policy_says(client, world, name, key, policy):
    answers = {}
    for role in ROLES:
        as_role(client, world, role)
        answers[role] = client.get(url_of(world, name, key)).status_code

    assert answers == {role: policy(role) for role in ROLES}


@pytest.mark.parametrize("role", list(ROLES))
def test_photos_are_only_shown_to_staff_of_the_court_before_the_sale(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])

    response = client.get(url_of(world, "enforcement:photo_file", "photo", "thumb"))

    assert response.status_code == photo_policy(role)


POST_ACTIONS = [
    (
        "enforcement:file_status",
        "file",
        (),
        {"action": "start_enforcement"},
        court_policy(M, success=302),
    ),
    ("enforcement:order_action", "order", ("issue",), {}, order_issue_policy),
    ("enforcement:photos_add", "asset", (), "photos", court_policy(M, success=302)),
    ("enforcement:photo_delete", "photo", (), {}, court_policy(M, success=302)),
    ("enforcement:document_add", "asset", (), "document", court_policy(M, success=302)),
    (
        "enforcement:encumbrance_add",
        "asset",
        (),
        {"kind": "LIEN", "holder": "X"},
        court_policy(M, success=302),
    ),
    ("enforcement:encumbrance_delete", "encumbrance", (), {}, court_policy(M, success=302)),
    (
        "enforcement:asset_approve",
        "asset",
        (),
        {},
        court_policy(Capability.APPROVE_SALES, success=302),
    ),
    (
        "enforcement:asset_release",
        "asset",
        (),
        {"reason": "Paid"},
        court_policy(Capability.ISSUE_ORDERS, success=302),
    ),
    ("enforcement:letter_acknowledge", "letter", (), {}, agency_policy()),
    ("enforcement:letter_answer", "letter", (), {"answer": "Done"}, agency_policy()),
    ("enforcement:api_token_revoke", "token", (), {}, agency_policy()),
    ("enforcement:request_accept", "request", (), {}, court_policy(M, success=302)),
    (
        "enforcement:request_reject",
        "request",
        (),
        {"reason": "Incomplete"},
        court_policy(M, success=302),
    ),
    ("enforcement:import_step", "import", (), {}, court_policy(M, success=200)),
]


def payload(kind: Any) -> dict[str, Any]:
    if kind == "photos":
        return {"photos": png_upload()}
    if kind == "document":
        return {"title": "Deed copy", "document": pdf_upload()}
    return dict(kind)


def refused(policy: Any, role: str) -> bool:
    return role == "anonymous" or policy(role) in (403, 404)


@pytest.mark.parametrize(
    ("name", "key", "extra", "data", "policy"), POST_ACTIONS, ids=[p[0] for p in POST_ACTIONS]
)
def test_every_action_is_refused_to_the_wrong_role_or_court_and_changes_nothing(
    client, world, name, key, extra, data, policy
):
    answers, unchanged = {}, {}
    for role in [role for role in ROLES if refused(policy, role)]:
        as_role(client, world, role)
        before = state()
        answers[role] = client.post(url_of(world, name, key, *extra), payload(data)).status_code
        unchanged[role] = state() == before

    assert answers == {role: policy(role) for role in ROLES if refused(policy, role)}
    assert all(unchanged.values()), unchanged


ALLOWED = [
    (action, role) for action in POST_ACTIONS for role in ROLES if not refused(action[4], role)
]


@pytest.mark.parametrize(
    ("action", "role"), ALLOWED, ids=[f"{action[0]}-{role}" for action, role in ALLOWED]
)
def test_every_action_is_carried_out_for_the_roles_allowed(client, world, action, role):
    name, key, extra, data, policy = action
    as_role(client, world, role)

    response = client.post(url_of(world, name, key, *extra), payload(data))

    assert response.status_code == policy(role)
