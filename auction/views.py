"""Staff pages of auctions: list, create, lots, publish, the live board, withdrawals, sale rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import mfa
from accounts.access import capability_required, has_capability
from accounts.models import User
from accounts.roles import Capability
from auction import access, selectors
from auction.forms import (
    AnnulForm,
    AuctionForm,
    CancelAuctionForm,
    DecideRoundForm,
    LotForm,
    ProposeRoundForm,
    SaleRulesForm,
    WithdrawForm,
)
from auction.models import Auction, Lot, RoundProposal
from auction.services import cancellation, lifecycle, rounds
from core.errors import DomainError
from core.forms import add_domain_error
from core.pagination import paginate

LIST_PAGE = 50


def _staff(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _own_auction(request: HttpRequest, auction_id: int) -> Auction:
    auction = selectors.auction_of_court(court_id=_staff(request).court_id, auction_id=auction_id)
    if auction is None:
        raise Http404
    return auction


def _refusal(form: Any, error: DomainError) -> None:
    if error.status == 403:
        raise PermissionDenied from error
    if error.status == 404:
        raise Http404 from error
    add_domain_error(form, error)


@capability_required(Capability.MANAGE_AUCTIONS)
def auction_list(request: HttpRequest) -> HttpResponse:
    auctions = selectors.auctions_of_court(
        court_id=_staff(request).court_id, status=request.GET.get("status", "")
    )
    page = paginate([auctions], selectors.AUCTION_ORDER, request.GET, size=LIST_PAGE)
    return render(
        request,
        "auction/staff/auction_list.html",
        {
            "auctions": page.rows,
            "page": page,
            "status": request.GET.get("status", ""),
            "statuses": Auction.Status.choices,
        },
    )


@capability_required(Capability.MANAGE_AUCTIONS)
@require_http_methods(["GET", "POST"])
def auction_create(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    assert staff.court is not None
    form = AuctionForm(request.POST or None, zone=staff.court.time_zone)
    if request.method == "POST" and form.is_valid():
        try:
            auction = lifecycle.create_auction(actor=staff, **form.cleaned_data)
        except DomainError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("The auction was created as a draft. Add its lots."))
            return redirect("auction:staff_detail", auction_id=auction.pk)
    return render(
        request,
        "auction/staff/auction_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@capability_required(Capability.MANAGE_AUCTIONS)
@require_http_methods(["GET", "POST"])
def auction_detail(request: HttpRequest, auction_id: int) -> HttpResponse:
    staff = _staff(request)
    auction = _own_auction(request, auction_id)
    assets = selectors.assets_ready_for_sale(court_id=auction.court_id)
    lot_form = LotForm(
        request.POST if "add_lot" in request.POST else None,
        assets=[(a.pk, f"{a.file.number} · {a.title}") for a in assets],
        currency=auction.court.currency,
    )
    if request.method == "POST" and "add_lot" in request.POST and lot_form.is_valid():
        data = lot_form.cleaned_data
        try:
            lifecycle.add_lot(
                actor=staff,
                auction_id=auction.pk,
                asset_id=data["asset"],
                opening_minor=data["opening"],
                reserve_minor=data["reserve"],
            )
        except DomainError as error:
            _refusal(lot_form, error)
        else:
            messages.success(request, _("The lot was added."))
            return redirect("auction:staff_detail", auction_id=auction.pk)
    context = {
        "auction": auction,
        "lots": selectors.lots_of_auction(auction_id=auction.pk),
        "lot_form": lot_form,
        "proposals": selectors.proposals(auction, assets),
        "earliest_start": selectors.earliest_start(auction, timezone.now()),
        "cancel_form": CancelAuctionForm(),
        "may_annul": access.may_annul(staff, auction),
    }
    return render(
        request,
        "auction/staff/auction_detail.html",
        context,
        status=400 if lot_form.errors else 200,
    )


@capability_required(Capability.MANAGE_AUCTIONS)
@require_POST
def auction_publish(request: HttpRequest, auction_id: int) -> HttpResponse:
    auction = _own_auction(request, auction_id)
    try:
        lifecycle.publish_auction(actor=_staff(request), auction_id=auction.pk)
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.render())
    else:
        messages.success(request, _("The auction is published; its lots open at the start time."))
    return redirect("auction:staff_detail", auction_id=auction.pk)


@capability_required(Capability.MANAGE_AUCTIONS)
def live_board(request: HttpRequest, auction_id: int) -> HttpResponse:
    """Price, bids, leader's paddle and time left of every lot; the table refreshes itself."""
    auction = _own_auction(request, auction_id)
    template = (
        "auction/staff/live_board_rows.html"
        if request.headers.get("HX-Request")
        else "auction/staff/live_board.html"
    )
    rows = selectors.board(auction_id=auction.pk)
    context = {
        "auction": auction,
        "rows": rows,
        "now": timezone.now(),
        # The action forms sit outside the refreshing table, so typing is never wiped out.
        "actionable": [r for r in rows if r.lot.status in ("OPEN", "SCHEDULED")],
        "may_annul": access.may_annul(request.user, auction),
    }
    return render(request, template, context)


@capability_required(Capability.MANAGE_AUCTIONS)
@require_POST
def lot_withdraw(request: HttpRequest, auction_id: int, lot_id: int) -> HttpResponse:
    auction = _own_auction(request, auction_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the withdrawal."))
        return redirect("auction:live_board", auction_id=auction.pk)
    try:
        lifecycle.withdraw_lot(
            actor=_staff(request), lot_id=lot_id, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.render())
    else:
        messages.success(request, _("The lot was withdrawn and every deposit is being refunded."))
    return redirect("auction:live_board", auction_id=auction.pk)


def _live_board_of(request: HttpRequest, auction_id: int, lot_id: int) -> str:
    return reverse("auction:live_board", args=[auction_id])


@capability_required(Capability.APPROVE_SALES)
@require_POST
@mfa.step_up_required(_live_board_of)
def bid_annul(request: HttpRequest, auction_id: int, lot_id: int) -> HttpResponse:
    auction = _own_auction(request, auction_id)
    form = AnnulForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.annul_bid(actor=_staff(request), lot_id=lot_id, **form.cleaned_data)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from error
            messages.error(request, error.render())
        else:
            messages.success(request, _("The bid was annulled; the price was recomputed."))
    else:
        messages.error(request, _("Give the bid number and a written reason."))
    return redirect("auction:live_board", auction_id=auction.pk)


def _percent(basis_points: int) -> Decimal:
    return Decimal(basis_points) / 100


def _basis_points(percent: Decimal) -> int:
    return int(percent * 100)


@capability_required(Capability.EDIT_SALE_RULES)
@require_http_methods(["GET", "POST"])
def sale_rules(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    assert staff.court is not None
    rules = lifecycle.rules_for(staff.court)
    snapshot = rules.snapshot()
    initial = {
        "notice_days": rules.notice_days,
        "opening_percent": _percent(rules.opening_percent_bp),
        "deposit_percent": _percent(rules.deposit_percent_bp),
        "soft_close_window_seconds": rules.soft_close_window_seconds,
        "soft_close_extension_seconds": rules.soft_close_extension_seconds,
        "soft_close_cap_seconds": rules.soft_close_cap_seconds,
        "premium_percent": _percent(rules.premium_bp),
        "vat_percent": _percent(rules.vat_bp),
        "payment_deadline_days": rules.payment_deadline_days,
        "round_reduction_percent": _percent(rules.round_reduction_bp),
        "max_rounds": rules.max_rounds,
        "round_openings": ", ".join(str(_percent(bp)) for bp in rules.round_opening_bp or []),
        "objection_days": rules.objection_days,
        "increments": selectors.increments_text(snapshot["increments"], staff.court.currency),
    }
    form = SaleRulesForm(request.POST or None, initial=initial, currency=staff.court.currency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lifecycle.update_sale_rules(
                actor=staff,
                court_id=staff.court.pk,
                notice_days=data["notice_days"],
                opening_percent_bp=_basis_points(data["opening_percent"]),
                deposit_percent_bp=_basis_points(data["deposit_percent"]),
                soft_close_window_seconds=data["soft_close_window_seconds"],
                soft_close_extension_seconds=data["soft_close_extension_seconds"],
                soft_close_cap_seconds=data["soft_close_cap_seconds"],
                premium_bp=_basis_points(data["premium_percent"]),
                vat_bp=_basis_points(data["vat_percent"]),
                payment_deadline_days=data["payment_deadline_days"],
                round_reduction_bp=_basis_points(data["round_reduction_percent"]),
                max_rounds=data["max_rounds"],
                round_opening_bp=data["round_openings"],
                objection_days=data["objection_days"],
                increments=data["increments"],
            )
        except DomainError as error:
            _refusal(form, error)
        else:
            messages.success(
                request,
                _(
                    "The sale rules were saved. Auctions already published "
                    "keep the rules they were published with."
                ),
            )
            return redirect("auction:sale_rules")
    return render(
        request, "auction/staff/sale_rules.html", {"form": form}, status=400 if form.errors else 200
    )


def _rounds_page(
    request: HttpRequest,
    *,
    bound: dict[int, ProposeRoundForm] | None = None,
    decide_forms: dict[int, DecideRoundForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = _staff(request)
    auctions = [
        (a.pk, f"{a.number} · {a.title}") for a in rounds.target_auctions(court_id=staff.court_id)
    ]
    rows = rounds.unsold_lots(court_id=staff.court_id)
    propose_forms = {
        row.lot.pk: (bound or {}).get(row.lot.pk)
        or ProposeRoundForm(auctions=auctions, currency=row.lot.currency, prefix=f"l{row.lot.pk}")
        for row in rows
    }
    proposals = rounds.pending_proposals(court_id=staff.court_id)
    context = {
        "rows": [(row, propose_forms[row.lot.pk]) for row in rows],
        "proposals": [
            (p, (decide_forms or {}).get(p.pk) or DecideRoundForm(prefix=f"p{p.pk}"))
            for p in proposals
        ],
        "may_decide": has_capability(staff, Capability.APPROVE_SALES),
        "may_propose": has_capability(staff, Capability.MANAGE_AUCTIONS),
        "has_targets": bool(auctions),
    }
    return render(request, "auction/staff/next_rounds.html", context, status=status)


@capability_required(Capability.MANAGE_AUCTIONS)
def next_rounds(request: HttpRequest) -> HttpResponse:
    """Unsold lots with the rule's next opening price, their rounds, and the proposals."""
    return _rounds_page(request)


def _cancellation_step(request: HttpRequest, auction: Auction, step: Any, done: str) -> None:
    try:
        step()
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.render())
    else:
        messages.success(request, done)


@capability_required(Capability.MANAGE_AUCTIONS)
@require_POST
def next_round_propose(request: HttpRequest, lot_id: int) -> HttpResponse:
    staff = _staff(request)
    lot = Lot.objects.filter(pk=lot_id, auction__court_id=staff.court_id or 0).first()
    if lot is None:
        raise Http404
    auctions = [
        (a.pk, f"{a.number} · {a.title}") for a in rounds.target_auctions(court_id=staff.court_id)
    ]
    form = ProposeRoundForm(
        request.POST, auctions=auctions, currency=lot.currency, prefix=f"l{lot.pk}"
    )
    if form.is_valid():
        try:
            rounds.propose(
                actor=staff,
                lot_id=lot.pk,
                auction_id=form.cleaned_data["auction"],
                opening_minor=form.cleaned_data["opening"],
            )
        except DomainError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("The next round was proposed; it awaits the judge."))
            return redirect("auction:next_rounds")
    return _rounds_page(request, bound={lot.pk: form}, status=400)


@capability_required(Capability.APPROVE_SALES)
@require_POST
def next_round_decide(request: HttpRequest, proposal_id: int) -> HttpResponse:
    court_id = _staff(request).court_id or 0
    if not RoundProposal.objects.filter(pk=proposal_id, lot__auction__court_id=court_id).exists():
        raise Http404  # unknown, or another court's: before the form is read
    form = DecideRoundForm(request.POST, prefix=f"p{proposal_id}")
    approve = request.POST.get("decision") == "approve"
    if request.POST.get("decision") not in ("approve", "reject"):
        form.add_error(None, _("Choose to approve or to reject."))
    if form.is_valid():
        try:
            rounds.decide(
                actor=_staff(request),
                proposal_id=proposal_id,
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            _refusal(form, error)
        else:
            messages.success(
                request,
                _("The lot was relisted in its next round.")
                if approve
                else _("The proposal was rejected."),
            )
            return redirect("auction:next_rounds")
    return _rounds_page(request, decide_forms={proposal_id: form}, status=400)


@capability_required(Capability.MANAGE_AUCTIONS)
@require_POST
def auction_cancel_propose(request: HttpRequest, auction_id: int) -> HttpResponse:
    """Staff propose cancelling the whole auction, with a reason."""
    auction = _own_auction(request, auction_id)
    form = CancelAuctionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Give the reason for the cancellation (at most 2,000 characters).")
        )
        return redirect("auction:staff_detail", auction_id=auction.pk)
    _cancellation_step(
        request,
        auction,
        lambda: cancellation.propose_cancellation(
            actor=_staff(request), auction_id=auction.pk, reason=form.cleaned_data["reason"]
        ),
        _("The cancellation was proposed; a judge of the court decides it."),
    )
    return redirect("auction:staff_detail", auction_id=auction.pk)


@capability_required(Capability.MANAGE_AUCTIONS)
@require_POST
def auction_cancel_decide(request: HttpRequest, auction_id: int) -> HttpResponse:
    """A judge approves the proposed cancellation, or staff drop the proposal."""
    auction = _own_auction(request, auction_id)
    if request.POST.get("decision") == "approve":
        _cancellation_step(
            request,
            auction,
            lambda: cancellation.approve_cancellation(actor=_staff(request), auction_id=auction.pk),
            _("The auction is cancelled: its lots are closed and every deposit is being refunded."),
        )
    else:
        _cancellation_step(
            request,
            auction,
            lambda: cancellation.withdraw_cancellation_proposal(
                actor=_staff(request), auction_id=auction.pk
            ),
            _("The proposed cancellation was dropped."),
        )
    return redirect("auction:staff_detail", auction_id=auction.pk)
