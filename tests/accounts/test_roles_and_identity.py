"""Roles and their permissions; identity verification from submission to review."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image

from accounts import services
from accounts.models import IdentityStatus, User
from accounts.roles import Capability, Role
from core.errors import InvalidTransition, PermissionDenied
from core.models import AuditRecord
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def id_upload(name: str = "id.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, png_bytes() if content is None else content, content_type="image/png"
    )


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        (
            Role.BIDDER,
            [Capability.PLACE_BIDS],
            [Capability.VERIFY_IDENTITY, Capability.VIEW_LEDGER],
        ),
        (
            Role.EXECUTION_STAFF,
            [Capability.VERIFY_IDENTITY, Capability.MANAGE_FILES],
            [Capability.PLACE_BIDS, Capability.APPROVE_DISBURSEMENTS],
        ),
        (
            Role.FINANCE_STAFF,
            [Capability.VIEW_LEDGER, Capability.PREPARE_DISBURSEMENTS],
            [Capability.PLACE_BIDS, Capability.MANAGE_FILES],
        ),
        (
            Role.SUPERVISOR,
            [Capability.APPROVE_SALES, Capability.VIEW_AUDIT],
            [Capability.PLACE_BIDS, Capability.PREPARE_DISBURSEMENTS],
        ),
    ],
)
def test_each_role_has_its_permissions_and_no_others(court, role, allowed, denied):
    user = make_user(role, court=None if role == Role.BIDDER else court)

    assert all(user.has_perm(p) for p in allowed)
    assert not any(user.has_perm(p) for p in denied)


def test_a_deactivated_user_has_no_permissions(court):
    user = make_user(Role.SUPERVISOR, court=court, is_active=False)

    assert not user.has_perm(Capability.APPROVE_SALES)


def test_staff_must_belong_to_a_court_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(Role.EXECUTION_STAFF, court=None)


def test_a_bidder_gets_403_on_staff_pages(client):
    client.force_login(make_user(Role.BIDDER, verified=True))

    for url in (reverse("accounts:review_queue"), reverse("frontend:announce")):
        assert client.get(url).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in_from_staff_pages(client):
    response = client.get(reverse("accounts:review_queue"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unverified_bidders_are_flagged_on_every_page(client):
    client.force_login(make_user(Role.BIDDER))

    page = client.get("/").content.decode()

    assert "Your identity is not verified yet" in page


def test_verified_bidders_are_not_flagged(client):
    client.force_login(make_user(Role.BIDDER, verified=True))

    assert "Your identity is not verified yet" not in client.get("/").content.decode()


def test_identity_flow_submit_then_staff_verifies_with_audit(client, staff):
    bidder = make_user(Role.BIDDER)
    client.force_login(bidder)

    response = client.post(reverse("accounts:identity"), {"document": id_upload()})
    assert response.status_code == 302
    bidder.refresh_from_db()
    assert bidder.identity_status == IdentityStatus.PENDING

    client.force_login(staff)
    queue = client.get(reverse("accounts:review_queue"))
    assert bidder.full_name in queue.content.decode()
    assert client.get(reverse("accounts:identity_document", args=[bidder.pk])).status_code == 200
    client.post(reverse("accounts:review", args=[bidder.pk]), {"verify": "1"})

    bidder.refresh_from_db()
    assert bidder.identity_status == IdentityStatus.VERIFIED
    assert bidder.identity_reviewed_by == staff
    actions = list(
        AuditRecord.objects.filter(object_id=str(bidder.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["user.identity_submitted", "user.identity_verified"]


def test_staff_reject_with_a_reason_and_the_bidder_can_send_again(client, staff):
    bidder = make_user(Role.BIDDER)
    services.submit_identity(user=bidder, document=id_upload())
    client.force_login(staff)

    client.post(
        reverse("accounts:review", args=[bidder.pk]),
        {"reject": "1", "reason": "The photo is blurred."},
    )
    bidder.refresh_from_db()
    assert bidder.identity_status == IdentityStatus.REJECTED

    services.submit_identity(user=bidder, document=id_upload())
    bidder.refresh_from_db()
    assert bidder.identity_status == IdentityStatus.PENDING
    assert bidder.identity_rejection_reason == ""


def test_rejecting_without_a_reason_names_the_field_and_changes_nothing(client, staff):
    bidder = make_user(Role.BIDDER)
    services.submit_identity(user=bidder, document=id_upload())
    client.force_login(staff)
    records_before = AuditRecord.objects.count()

    response = client.post(
        reverse("accounts:review", args=[bidder.pk]), {"reject": "1", "reason": ""}
    )

    assert response.status_code == 400
    assert "reason" in response.context["reject_form"].errors
    bidder.refresh_from_db()
    assert bidder.identity_status == IdentityStatus.PENDING
    assert AuditRecord.objects.count() == records_before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("id.png", b"this is not an image at all", "must be a PDF or a JPEG"),
        ("id.pdf", b"", "The submitted file is empty."),
        ("id.gif", b"GIF89a" + b"\x00" * 40, "must be a PDF or a JPEG"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 1), "too large"),
    ],
)
def test_identity_upload_that_is_not_a_document_is_refused_and_changes_nothing(
    client, name, content, message
):
    bidder = make_user(Role.BIDDER)
    client.force_login(bidder)

    response = client.post(
        reverse("accounts:identity"), {"document": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors["document"])
    bidder.refresh_from_db()
    assert bidder.identity_status == IdentityStatus.UNVERIFIED
    assert not bidder.identity_document


def test_staff_cannot_review_their_own_identity(staff):
    User.objects.filter(pk=staff.pk).update(identity_status=IdentityStatus.PENDING)

    with pytest.raises(PermissionDenied):
        services.verify_identity(reviewer=staff, subject_id=staff.pk)


def test_a_bidder_cannot_verify_anyone():
    reviewer, subject = make_user(Role.BIDDER), make_user(Role.BIDDER)
    services.submit_identity(user=subject, document=id_upload())

    with pytest.raises(PermissionDenied):
        services.verify_identity(reviewer=reviewer, subject_id=subject.pk)
    subject.refresh_from_db()
    assert subject.identity_status == IdentityStatus.PENDING


def test_only_a_pending_identity_can_be_verified(staff):
    subject = make_user(Role.BIDDER)

    with pytest.raises(InvalidTransition):
        services.verify_identity(reviewer=staff, subject_id=subject.pk)


def test_verifying_twice_in_the_form_says_why_and_changes_nothing(client, staff):
    bidder = make_user(Role.BIDDER)
    services.submit_identity(user=bidder, document=id_upload())
    client.force_login(staff)
    client.post(reverse("accounts:review", args=[bidder.pk]), {"verify": "1"})
    records_before = AuditRecord.objects.count()

    response = client.post(reverse("accounts:review", args=[bidder.pk]), {"verify": "1"})

    assert response.status_code == 400
    assert "Only a pending identity can be reviewed" in response.content.decode()
    assert AuditRecord.objects.count() == records_before


def test_identity_documents_are_private(client):
    owner, other = make_user(Role.BIDDER), make_user(Role.BIDDER)
    services.submit_identity(user=owner, document=id_upload())
    url = reverse("accounts:identity_document", args=[owner.pk])

    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200
    owner.refresh_from_db()
    assert "/media/" not in owner.identity_document.path


def test_role_change_is_audited_and_requires_a_court_for_staff(court, supervisor):
    user = make_user(Role.BIDDER)

    services.assign_role(
        actor=supervisor, user_id=user.pk, role=Role.FINANCE_STAFF, court_id=court.pk
    )

    user.refresh_from_db()
    assert user.role == Role.FINANCE_STAFF
    assert AuditRecord.objects.filter(action="user.role_changed").count() == 1
