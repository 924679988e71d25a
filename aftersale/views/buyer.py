"""The buyer's purchases (balance breakdown, second-chance offers) and the debtor's page."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersale import access, selectors
from aftersale import services as aftersale
from aftersale.forms import MethodForm
from aftersale.services import custody, sales
from core.errors import DomainError
from core.forms import add_domain_error
from enforcement import selectors as enforcement_selectors
from payments import engine as payment_engine


@login_required
@require_GET
def purchases(request: HttpRequest) -> HttpResponse:
    return render(
        request, "aftersale/purchases.html", {"sales": selectors.purchases_of(request.user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def purchase(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One purchase: the breakdown, how to pay the balance, or the second-chance offer."""
    sale = selectors.purchase_of(request.user, public_id)
    if sale is None:
        raise Http404
    form = MethodForm(
        request.POST if "method" in request.POST else None, methods=sales.methods_for(sale)
    )
    try:
        if request.method == "POST" and "accept" in request.POST:
            aftersale.accept_offer(buyer=request.user, sale_id=sale.pk, now=timezone.now())
            messages.success(
                request, _("You accepted the offer. Pay the balance before the deadline.")
            )
            return redirect("aftersale:purchase", public_id=sale.public_id)
        if request.method == "POST" and "decline" in request.POST:
            aftersale.decline_offer(buyer=request.user, sale_id=sale.pk, now=timezone.now())
            messages.info(request, _("You declined the offer; your deposit is being refunded."))
            return redirect("aftersale:purchase", public_id=sale.public_id)
        if request.method == "POST" and form.is_valid():
            payment = aftersale.start_balance_payment(
                buyer=request.user, sale_id=sale.pk, method=form.cleaned_data["method"]
            )
            return redirect("payments:pay", public_id=payment.public_id)
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        add_domain_error(form, error)
    context = {"sale": sale, "form": form, "card_possible": "CARD" in sales.methods_for(sale)}
    status = 400 if form.errors else 200
    return render(request, "aftersale/purchase.html", context, status=status)


@login_required
@require_GET
def my_files(request: HttpRequest) -> HttpResponse:
    """The files on which the user is the debtor, with what they owe and a way to pay it."""
    rows = []
    for file in access.files_as_debtor(request.user):
        owed = enforcement_selectors.balance_owed(file)
        rows.append(
            {
                "file": file,
                "owed": owed,
                "redeemable": custody.redeemable(file),
                "form": MethodForm(methods=payment_engine.methods_for(owed))
                if owed.amount_minor
                else None,
            }
        )
    return render(request, "aftersale/my_files.html", {"rows": rows})


@login_required
@require_POST
def redeem(request: HttpRequest, file_id: int) -> HttpResponse:
    try:
        payment = aftersale.start_redemption(
            debtor=request.user, file_id=file_id, method=request.POST.get("method", "")
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.render())
        return redirect("aftersale:my_files")
    return redirect("payments:pay", public_id=payment.public_id)
