"""The public pages of sales: the catalog, a lot's live page, registering, and "my auctions"."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import mandates
from accounts.models import User
from auction import (
    access,
    catalog,
    events,
    open_records,
    places,
    questions,
    saved_searches,
    selectors,
)
from auction.catalog_forms import QuestionForm, SaveSearchForm
from auction.errors import RegistrationRefused
from auction.models import Lot, Notification, Watch
from auction.services import receipts as bid_receipts
from auction.services import registration as registrations
from auction.services import rounds
from core import http_cache, pagination, receipt_signing
from core import receipts as core_receipts
from core.errors import NotFound
from core.money import Money, exponent
from payments import engine as payment_engine

PAGE_SIZE = 24
CARDS_SECONDS = 60
LOT_SECONDS = 60


def catalog_page(request: HttpRequest) -> HttpResponseBase:
    """The catalog: keyset pages, shared whole by anonymous readers, 304 to unchanged readers.

    An anonymous reader's page comes whole from the shared cache (core/http_cache.py,
    `shared_page`) while no lot has changed since it was rendered: a bid, an opening, a close,
    a withdrawal or a publication bumps the catalog's version after its commit. Open lots
    show the time left, so a page is also rendered anew when that reads otherwise (each
    hour while days are left, each minute below a day). Otherwise the page's
    lots are read with only the fields that say what their cards show (price, sequence
    number, status, times), and the cards come from the shared cache under a key made of
    those.
    """
    if not http_cache.is_anonymous_reader(request):
        return _catalog(request)
    filters = catalog.Filters.from_query(request.GET)
    versions: tuple[str, ...] = (events.CATALOG_PAGES,)
    if filters.sort in ("price_low", "price_high") or filters.price_min or filters.price_max:
        versions = (events.CATALOG_PAGES, events.CATALOG_PRICES)  # a bid can move any lot here
    return http_cache.shared_page(
        request,
        parts=("catalog",),
        versions=versions,
        render=lambda: _catalog(request),
        timeout=CARDS_SECONDS,
    )


def _catalog(request: HttpRequest) -> HttpResponseBase:
    filters = catalog.Filters.from_query(request.GET)
    now = timezone.now()
    found = catalog.listing(filters, now=now)
    page = pagination.paginate(
        [segment.only(*catalog.CARD_FIELDS) for segment in found.segments],
        found.keyset,
        request.GET,
        size=PAGE_SIZE,
        total_of=found.everything,
    )
    shown = catalog.fingerprint(page.rows, now=now)
    cities = catalog.cities()
    etag = None
    if http_cache.is_anonymous_reader(request):
        etag = http_cache.etag_of(
            "catalog", shown, filters, page.total, page.next_cursor, page.previous_cursor,
            page.is_reset, cities, http_cache.shell_state(),
        )  # fmt: skip
        unchanged = http_cache.not_modified(request, etag)
        if unchanged is not None:
            return unchanged
    cards = http_cache.cached_fragment(
        http_cache.etag_of("catalog-cards", shown).strip('"'),
        lambda: _cards_and_map(page.rows, now),
        CARDS_SECONDS,
    )
    context = {
        "page": page,
        "cards": mark_safe(cards),  # noqa: S308 (our own template's output, escaped there)
        "filters": filters,
        "cities": cities,
        "now": now,
        "save_form": SaveSearchForm(
            initial={"query": saved_searches.canonical_query(request.GET), "alerts": True}
        ),
    }
    response = http_cache.publish(render(request, "auction/public/catalog.html", context), etag)
    if etag is not None:
        # A bid changes one lot's price: it retires the shared pages that show that lot
        # (and those ordered or filtered by price), not every page of the catalog.
        shown_seqs = {lot.pk: lot.seq for lot in page.rows}
        http_cache.shows(
            response,
            [events.lot_pages(lot_id) for lot_id in shown_seqs],
            lambda: catalog.seqs(list(shown_seqs)) == shown_seqs,
            until=catalog.changes_at(page.rows, now=now),
        )
    return response


def _cards_and_map(rows: list[Lot], now: Any) -> str:
    """A catalog page's map of its lots' places (auction/places.py) and its cards, rendered
    together from the same read: an asset's place is fixed once its sale is approved, so the
    cards' key covers it."""
    lots = catalog.cards(rows)
    on_map = [place.as_json() for place in places.places(lots)]
    html = ""
    if on_map:
        html = render_to_string(
            "auction/public/_catalog_map.html", {"places": on_map, "map": places.map_settings()}
        )
    return html + render_to_string("auction/public/_catalog_cards.html", {"lots": lots, "now": now})


def _lot_or_404(lot_id: int) -> Lot:
    lot = catalog.public_lot(lot_id)
    if lot is None:
        raise Http404
    return lot


def lot_page(request: HttpRequest, lot_id: int) -> HttpResponseBase:
    """A lot's page. Anonymous readers share one render per change of the lot and get 304s.

    An anonymous reader's page comes whole from the shared cache while the lot's version is
    unchanged (every frame on the lot's topic bumps it after its commit: a bid, an extension,
    the close; core/http_cache.py, `shared_page`). Below it, the body is keyed by what the
    page shows of the lot (its sequence number moves with every bid), its auction and its
    asset. Photos, documents and edits of a listed asset show within `LOT_SECONDS`. A
    signed-in reader's page is rendered for them, private.
    """
    if not http_cache.is_anonymous_reader(request):
        return _lot(request, lot_id)
    return http_cache.shared_page(
        request,
        parts=("lot", lot_id),
        versions=(events.lot_pages(lot_id),),
        render=lambda: _lot(request, lot_id),
        timeout=LOT_SECONDS,
    )


def _lot(request: HttpRequest, lot_id: int) -> HttpResponseBase:
    lot = _lot_or_404(lot_id)
    if not http_cache.is_anonymous_reader(request):
        context = {**_lot_context(request, lot), **_lot_extras(request, lot)}
        page = render(request, "auction/public/lot.html", context)
        return http_cache.publish(page, None)
    shown = catalog.lot_fingerprint(lot)
    answered = questions.answered(lot.pk)
    etag = http_cache.etag_of(
        "lot", shown, questions.answered_state(answered), request.path, http_cache.shell_state()
    )
    unchanged = http_cache.not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    body = http_cache.cached_fragment(
        http_cache.etag_of("lot-body", shown, request.path).strip('"'),
        lambda: render_to_string(
            "auction/public/_lot_body.html", _lot_context(request, lot), request=request
        ),
        LOT_SECONDS,
    )
    context = {
        "lot": lot,
        "asset": lot.asset,
        "body": mark_safe(body),  # noqa: S308 (ours)
        **_lot_extras(request, lot, answered),
    }
    return http_cache.publish(render(request, "auction/public/lot.html", context), etag)


def _lot_extras(
    request: HttpRequest, lot: Lot, answered: list[Any] | None = None
) -> dict[str, Any]:
    """Where the asset is (as the public may know it) and the lot's questions and answers
    (`answered`, when the caller read them already).

    The same for every anonymous reader; a signed-in asker also sees their own questions
    still awaiting an answer or rejected."""
    user: Any = request.user
    place = places.public_place(lot.pk, lot.asset)
    return {
        "place": place,
        "places": [place.as_json()] if place else [],
        "map": places.map_settings(),
        "answered": questions.answered(lot.pk) if answered is None else answered,
        "my_questions": questions.mine(user, lot.pk) if user.is_authenticated else [],
        "may_ask": questions.is_open_for_questions(lot, timezone.now()),
        "question_form": QuestionForm(),
    }


def _lot_context(request: HttpRequest, lot: Lot) -> dict[str, Any]:
    user: Any = request.user
    registration = (
        selectors.registration_of(lot_id=lot.pk, user_id=user.pk) if user.is_authenticated else None
    )
    exclusion = (
        access.exclusion_reason(user, lot)
        if user.is_authenticated and registration is None
        else None
    )
    rules = lot.auction.rules or {}
    return {
        "lot": lot,
        "auction": lot.auction,
        "asset": lot.asset,
        "rules": rules,
        "registration": registration,
        "exclusion": exclusion,
        "deposit": Money(lot.deposit_minor, lot.currency),
        "deposit_methods": payment_engine.methods_for(
            Money(max(lot.deposit_minor, 1), lot.currency)
        ),
        "exponent": exponent(lot.currency),
        "bids": selectors.recent_bids(lot_id=lot.pk),
        "increments": catalog.increment_rows(lot),
        "is_watching": user.is_authenticated and Watch.objects.filter(user=user, lot=lot).exists(),
        "live_text": live_text(),
        "photos": list(lot.asset.photos.all()),
        "documents": list(lot.asset.documents.all()),
        **_encumbrances(lot),
        "appraisal": catalog.appraisal_of(lot.asset),
        "deposit_payment": catalog.deposit_payment(registration),
        "companies": list(mandates.valid_mandates(user)) if user.is_authenticated else [],
        "earlier_rounds": rounds.history(lot),
        "my_bids": selectors.own_bids(registration) if registration is not None else [],
        "budget": selectors.budget_standing(registration) if registration is not None else None,
    }


# The rights the distribution pays from the price (aftersale.services.claims.SECURED_KINDS):
# the buyer takes the asset free of them. Any other recorded right stays with the asset.
PAID_FROM_PROCEEDS = ("MORTGAGE", "LIEN", "CHARGE")


def _encumbrances(lot: Lot) -> dict[str, list[Any]]:
    rights = list(lot.asset.encumbrances.all())
    return {
        "secured": [r for r in rights if r.kind in PAID_FROM_PROCEEDS],
        "rights_kept": [r for r in rights if r.kind not in PAID_FROM_PROCEEDS],
    }


@login_required
@require_POST
def register(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = _lot_or_404(lot_id)
    user: User = request.user  # type: ignore[assignment]
    method = request.POST.get("method") or None
    company = request.POST.get("company", "")
    try:
        registration = registrations.register_for_lot(
            user=user,
            lot_id=lot.pk,
            method=method,
            company_id=int(company) if company.isdigit() else None,
        )
    except RegistrationRefused as error:
        messages.error(request, error.render())
        return redirect("auction:lot", lot_id=lot.pk)
    payment = catalog.deposit_payment(registration)
    if payment is not None and registration.deposit_status == "PENDING":
        messages.success(
            request,
            _("You are registered with paddle %(paddle)s. Pay the deposit to bid.")
            % {"paddle": registration.paddle},
        )
        return redirect("payments:pay", public_id=payment.public_id)
    return redirect("auction:lot", lot_id=lot.pk)


@login_required
@require_POST
def bid_receipt(request: HttpRequest, lot_id: int, seq: int) -> HttpResponse:
    """The bidder's receipt of one of their accepted bids (issued on the first request)."""
    user: User = request.user  # type: ignore[assignment]
    try:
        receipt = bid_receipts.bid_receipt(user=user, lot_id=lot_id, seq=seq)
    except NotFound as error:
        raise Http404 from error
    return redirect("receipt_pdf", number=receipt.number)


@login_required
def bid_receipt_download(request: HttpRequest, lot_id: int, seq: int, fmt: str) -> HttpResponse:
    """The bidder's signed receipt of their own bid, as PDF or as the signed JSON document
    (issued on the first download, the same bytes afterwards); another's bid is a 404."""
    user: User = request.user  # type: ignore[assignment]
    try:
        receipt, _bid, signed = bid_receipts.signed_bid_receipt(user=user, lot_id=lot_id, seq=seq)
    except NotFound as error:
        raise Http404 from error
    if fmt == "json":
        response = HttpResponse(
            receipt_signing.serialize(signed), content_type="application/json; charset=utf-8"
        )
    else:
        response = HttpResponse(
            core_receipts.render_pdf(receipt, signed), content_type="application/pdf"
        )
    disposition = "attachment" if fmt == "json" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{receipt.number}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def watch(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = _lot_or_404(lot_id)
    existing = Watch.objects.filter(user=request.user, lot=lot)  # type: ignore[misc]
    if existing.exists():
        existing.delete()
        messages.info(request, _("The lot was removed from your watchlist."))
    else:
        Watch.objects.create(user=request.user, lot=lot)  # type: ignore[misc]
        messages.success(
            request, _("The lot is on your watchlist: we will tell you when it is closing.")
        )
    return redirect(catalog.safe_next(request) or lot_url(lot))


@login_required
def my_auctions(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "rows": catalog.my_rows(user),
        "watched": catalog.watched(user),
        "questions": questions.of_asker(user),
        "saved_searches": saved_searches.of(user),
        "bids": list(bid_receipts.own_bids(user)[:50]),
        "notifications": list(
            Notification.objects.filter(user=user).select_related(
                "lot__asset", "lot__auction__court"
            )[:30]
        ),
    }
    Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "auction/public/my_auctions.html", context)


def lot_url(lot: Lot) -> str:
    from django.urls import reverse

    return reverse("auction:lot", args=[lot.pk])


def live_text() -> dict[str, Any]:
    """The words the live page script shows, in the active language.

    `standing` holds one sentence per standing the page derives from the lot's latest state
    (frontend/static/frontend/js/lot.js); `message` the notes of events, shown one at a time.
    """
    return {
        "connection": {
            "connecting": _("Connecting…"),
            "live": _("Live"),
            "reconnecting": _("Reconnecting…"),
            "offline": _("Offline"),
            "ended": _("Session ended"),
        },
        "status": {
            "SCHEDULED": _("Upcoming"),
            "OPEN": _("Open for bidding"),
            "SOLD": _("Sold"),
            "UNSOLD": _("Unsold"),
            "WITHDRAWN": _("Withdrawn"),
        },
        "standing": {
            "anonymous": _("Log in to take part."),
            "unregistered": _("Register for this lot and pay the deposit to bid."),
            "excluded": _("You cannot bid on this lot."),
            "deposit": _("Your deposit has not been received yet."),
            "waiting": _(
                "You are registered (your paddle: %(paddle)s). Bidding has not opened yet."
            ),
            "leading": _("You are the highest bidder (your paddle: %(paddle)s)."),
            "outbid": _("Another bidder outbid you (your paddle: %(paddle)s)."),
            "ready": _("You can bid (your paddle: %(paddle)s)."),
            "won": _("You won this lot (your paddle: %(paddle)s)."),
            "lost": _("The lot was sold to another bidder. You did not win it."),
            "unsold": _("Bidding has ended: the lot closed without a sale."),
            "closed": _("Bidding has ended."),
            "withdrawn": _("The court withdrew this lot."),
        },
        "message": {
            "outbid": _("Another bidder outbid you: the price is now %(amount)s."),
            "autoLeads": _("Your automatic bid put you in the lead at %(amount)s."),
            "autoKept": _(
                "Your automatic bid answered another bidder: you still lead at %(amount)s."
            ),
            "autoExceeded": _("Your automatic maximum of %(amount)s was exceeded."),
            "won": _("You won this lot at %(amount)s. Pay the balance by the deadline."),
            "sold": _("Sold to paddle %(paddle)s at %(amount)s."),
            "unsold": _("Closed without a sale."),
            "withdrawn": _("The court withdrew this lot."),
        },
        "currentPrice": _("Current price"),
        "openingPrice": _("Opening price"),
        "finalPrice": _("Sold for"),
        "highestBid": _("Highest bid"),
        "owedOpen": _("Cost of winning at the current price"),
        "owedWon": _("What you owe"),
        "depositHeld": _("Your deposit was received: you can bid."),
        "revoked": _(
            "You are now a party to this asset's enforcement file: your registration was "
            "revoked and you can no longer bid. Your deposit is refunded."
        ),
        "extended": _("A late bid extended the auction."),
        "extendedOutage": _(
            "The platform was unavailable during the final minutes: the "
            "auction was extended by the outage and the window."
        ),
        "accepted": _("Your bid of %(amount)s was accepted (number %(seq)s)."),
        "acceptedAnswered": _(
            "Your bid of %(amount)s was accepted, and another bidder's automatic bid answered it."
        ),
        "autoSaved": _("Your automatic maximum of %(amount)s was saved."),
        "autoCancelled": _("Your automatic bid was cancelled."),
        "confirm": _(
            "Bid %(amount)s? If you win at this price you will owe %(total)s in total "
            "with the buyer's premium and VAT."
        ),
        "badAmount": _("Enter an amount in digits, with no more decimals than the currency has."),
        "notConnected": _("Not connected: wait for the connection to come back."),
        "sessionEnded": _("Your session ended; log in again to bid."),
        "automatic": _("automatic"),
        "you": _("you"),
        "none": _("none"),
        "exceeded": _("exceeded"),
        "noBids": _("No bids yet."),
        "days": _("days"),
        "opensAt": _("Opens soon"),
        "ended": _("Bidding has ended"),
        "closing": _("Closing…"),
        "priceNow": _("The price is now %(amount)s."),
        # Said once each as the end comes near (seconds left).
        "timeLeft": {
            "300": _("Five minutes left."),
            "60": _("One minute left."),
            "30": _("Thirty seconds left."),
            "10": _("Ten seconds left."),
        },
    }


def lot_record(request: HttpRequest, lot_id: int, fmt: str) -> HttpResponse:
    """A closed lot's bid record (paddle, amount, time, sequence) with its hash chain."""
    lot = open_records.closed_lot(lot_id)
    if lot is None or fmt not in ("csv", "json"):
        raise Http404
    record = open_records.bid_record(lot)
    name = lot.reference.replace("/", "-")
    if fmt == "json":
        response: HttpResponse = JsonResponse(record.as_json(), json_dumps_params={"indent": 1})
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.DictWriter(response, fieldnames=open_records.RECORD_FIELDS)
        writer.writeheader()
        writer.writerows(record.rows)
        response["X-Record-Hash"] = record.record_hash
    response["Content-Disposition"] = f'attachment; filename="{name}-bids.{fmt}"'
    return response


def open_results(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """Machine-readable results of every closed lot, with no personal data."""
    if fmt not in ("csv", "json"):
        raise Http404
    court = request.GET.get("court", "")[:8].upper()
    if fmt == "json":
        return JsonResponse(
            {"results": list(open_records.result_rows(court))}, json_dumps_params={"indent": 1}
        )
    response = StreamingHttpResponse(
        _csv_lines(open_records.result_rows(court)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="mazad-results.csv"'
    return response


def _csv_lines(rows: Any) -> Any:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=open_records.RESULT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def open_data(request: HttpRequest) -> HttpResponse:
    return render(
        request, "auction/public/open_data.html", {"recent": open_records.closed_lots()[:20]}
    )
