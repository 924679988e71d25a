"""Pages of viewings: a lot's viewing times for bidders, and the staff page that sets them."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import capability_required
from accounts.roles import Capability
from auction import access
from auction.forms import ViewingSlotForm
from auction.models import Auction, InspectionSlot, Lot, Registration, ViewingBooking
from auction.services import viewings
from core.errors import DomainError
from core.forms import add_domain_error


def _slots(lot: Lot) -> list[InspectionSlot]:
    slots = list(InspectionSlot.objects.filter(asset_id=lot.asset_id, ends_at__gt=timezone.now()))
    for slot in slots:
        slot.taken = viewings.active_bookings(slot)  # type: ignore[attr-defined]
        slot.left = max(slot.capacity - slot.taken, 0)  # type: ignore[attr-defined]
    return slots


@require_http_methods(["GET", "POST"])
def lot_viewings(request: HttpRequest, lot_id: int) -> HttpResponse:
    """The lot's viewing times; a registered bidder books one place or cancels it."""
    lot = (
        Lot.objects.select_related("auction__court", "asset")
        .exclude(auction__status=Auction.Status.DRAFT)
        .filter(pk=lot_id)
        .first()
    )
    if lot is None:
        raise Http404
    user = request.user
    registration = (
        Registration.objects.filter(lot=lot, bidder_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        try:
            if "cancel" in request.POST:
                viewings.cancel_booking(
                    user=user,
                    booking_id=int(request.POST.get("cancel") or 0),
                    now=timezone.now(),
                )
                messages.success(request, _("Your viewing was cancelled."))
            else:
                viewings.book_viewing(
                    user=user,
                    lot_id=lot.pk,
                    slot_id=int(request.POST.get("slot") or 0),
                    now=timezone.now(),
                )
                messages.success(request, _("Your viewing is booked."))
        except (DomainError, ValueError) as error:
            if isinstance(error, DomainError) and error.status == 404:
                raise Http404 from error
            messages.error(
                request,
                error.render() if isinstance(error, DomainError) else _("Choose a viewing time."),
            )
        return redirect("auction:viewings", lot_id=lot.pk)
    mine = (
        ViewingBooking.objects.select_related("slot")
        .filter(registration=registration, cancelled_at__isnull=True)
        .first()
        if registration
        else None
    )
    context = {"lot": lot, "slots": _slots(lot), "registration": registration, "mine": mine}
    return render(request, "auction/public/viewings.html", context)


@capability_required(Capability.MANAGE_AUCTIONS)
@require_http_methods(["GET", "POST"])
def staff_viewings(request: HttpRequest, auction_id: int, lot_id: int) -> HttpResponse:
    """Staff set the lot's viewing times and see who booked (paddle and name)."""
    lot = (
        Lot.objects.select_related("auction__court", "asset")
        .filter(pk=lot_id, auction_id=auction_id)
        .first()
    )
    if lot is None or not access.may_manage(request.user, lot.auction):
        raise Http404
    form = ViewingSlotForm(request.POST or None, zone=lot.auction.court.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            viewings.add_slot(
                actor=request.user,  # type: ignore[arg-type]
                lot_id=lot.pk,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                place=data["place"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The viewing time was added."))
            return redirect("auction:staff_viewings", auction_id=auction_id, lot_id=lot.pk)
    bookings = (
        ViewingBooking.objects.select_related("slot", "registration__bidder")
        .filter(slot__asset_id=lot.asset_id, cancelled_at__isnull=True)
        .order_by("slot__starts_at", "pk")
    )
    context = {"lot": lot, "form": form, "slots": _slots(lot), "bookings": bookings}
    return render(
        request, "auction/staff/viewings.html", context, status=400 if form.errors else 200
    )
