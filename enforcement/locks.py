"""Row locks of enforcement records, taken inside a service's transaction."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound
from core.locks import lock_one
from enforcement.models import (
    AgencyAnswer,
    AgencyLetter,
    ApiToken,
    AssetImport,
    EnforcementFile,
    EnforcementRequest,
    Party,
    SeizedAsset,
    SeizureOrder,
    Settlement,
    WebhookDelivery,
)


def _missing() -> NotFound:
    return NotFound(_("Not found."))


def lock_file(file_id: int) -> EnforcementFile:
    try:
        return lock_one(EnforcementFile.objects.filter(pk=file_id))
    except EnforcementFile.DoesNotExist:
        raise _missing() from None


def lock_asset(asset_id: int) -> SeizedAsset:
    try:
        return lock_one(SeizedAsset.objects.filter(pk=asset_id))
    except SeizedAsset.DoesNotExist:
        raise _missing() from None


def lock_order(order_id: int) -> SeizureOrder:
    try:
        return lock_one(SeizureOrder.objects.filter(pk=order_id))
    except SeizureOrder.DoesNotExist:
        raise _missing() from None


def lock_letter(letter_id: int) -> AgencyLetter:
    try:
        return lock_one(AgencyLetter.objects.filter(pk=letter_id))
    except AgencyLetter.DoesNotExist:
        raise _missing() from None


def lock_request(request_id: int) -> EnforcementRequest:
    try:
        return lock_one(EnforcementRequest.objects.filter(pk=request_id))
    except EnforcementRequest.DoesNotExist:
        raise _missing() from None


def lock_import(import_id: int) -> AssetImport:
    try:
        return lock_one(AssetImport.objects.filter(pk=import_id))
    except AssetImport.DoesNotExist:
        raise _missing() from None


def lock_party(party_id: int) -> Party:
    """Lock a party (its own row); raises Party.DoesNotExist when there is none."""
    return lock_one(Party.objects.filter(pk=party_id))


def lock_party_in(parties: QuerySet[Party], party_id: int) -> Party | None:
    """Lock the party `party_id` among `parties` (those the actor may see); None if not there."""
    return parties.select_for_update().filter(pk=party_id).first()


def lock_token(token_id: int, *, user_id: int) -> ApiToken | None:
    """Lock one of the user's API tokens; None when the user has no such token."""
    return ApiToken.objects.select_for_update().filter(pk=token_id, user_id=user_id).first()


def lock_settlement(settlement_id: int) -> Settlement:
    """Lock a settlement; its instalments are written only under this lock."""
    try:
        return lock_one(Settlement.objects.filter(pk=settlement_id))
    except Settlement.DoesNotExist:
        raise _missing() from None


def lock_file_among(files: QuerySet[EnforcementFile], file_id: int) -> EnforcementFile | None:
    """Lock the file `file_id` among `files` (those the user may act on; its own row only)."""
    return files.select_for_update(of=("self",)).filter(pk=file_id).first()


def lock_letter_of_agency(number: str, agency_id: int) -> AgencyLetter:
    """Lock the letter `number` sent to the agency; any other letter is "not found"."""
    try:
        return lock_one(AgencyLetter.objects.filter(number=number, agency_id=agency_id))
    except AgencyLetter.DoesNotExist:
        raise _missing() from None


def claim_due_deliveries(now: Any, limit: int, *, skip: Any = ()) -> list[WebhookDelivery]:
    """Claim up to `limit` webhook deliveries due by `now` that no other worker holds."""
    return list(
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("agency__endpoint")
        .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .exclude(pk__in=list(skip))
        .order_by("next_attempt_at", "pk")[:limit]
    )


def lock_answer(answer_id: int) -> AgencyAnswer | None:
    """Lock an agency's answer (its own row); None when there is none."""
    return AgencyAnswer.objects.select_for_update(of=("self",)).filter(pk=answer_id).first()
