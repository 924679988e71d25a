"""Workspace pages of seized assets: registration, the asset page, photos, appraisal, approval."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import capability_required
from accounts.roles import Capability
from core.errors import DomainError
from core.forms import posted_text
from core.pages import (
    act,
    attempt,
    form_status,
    raise_for_status,
    serve_private,
)
from enforcement import access, engine, selectors, services
from enforcement.models import Appraisal, AssetDocument, AssetPhoto, Encumbrance, SeizedAsset
from enforcement.services.assets import EDITABLE
from enforcement.views.files import file_or_404, plain_amount
from enforcement.views.forms import (
    AppraisalForm,
    AssetForm,
    DocumentForm,
    EncumbranceForm,
    PhotosForm,
    ReasonForm,
)


def _asset(request: HttpRequest, asset_id: int) -> SeizedAsset:
    try:
        return selectors.get_asset(request.user, asset_id)
    except DomainError as error:
        raise_for_status(error)
        raise


def _back(asset_id: int, anchor: str = "") -> str:
    return reverse("enforcement:asset_detail", args=[asset_id]) + anchor


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest, file_id: int) -> HttpResponse:
    file = file_or_404(request, file_id)
    kind = request.GET.get("kind", "VEHICLE")
    form = AssetForm(request.POST or None, file=file, initial={"kind": kind, "occupancy": "VACANT"})
    photos = PhotosForm(request.POST or None, request.FILES or None)
    photos.fields["photos"].required = False
    if request.method == "POST" and form.is_valid() and photos.is_valid():
        user: Any = request.user
        asset = attempt(
            form,
            lambda: _register_with_photos(user, file.pk, form, photos.cleaned_data["photos"]),
        )
        if asset is not None:
            messages.success(request, _("The asset was registered."))
            return redirect("enforcement:asset_detail", asset.pk)
    context = {"form": form, "photos": photos, "file": file}
    return render(
        request, "enforcement/asset_form.html", context, status=form_status(request, form, photos)
    )


def _register_with_photos(
    user: Any, file_id: int, form: AssetForm, uploads: list[Any]
) -> SeizedAsset:
    with transaction.atomic():
        asset = services.register_asset(actor=user, file_id=file_id, details=form.details())
        if uploads:
            services.add_photos(actor=user, asset_id=asset.pk, uploads=uploads)
    return asset


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    initial = {
        name: getattr(asset, name)
        for name in services.AssetDetails.__dataclass_fields__
        if hasattr(asset, name)
    }
    initial["order"] = asset.order
    if asset.transfer_costs_minor is not None:
        initial["transfer_costs"] = plain_amount(asset.transfer_costs_minor, asset.currency)
    form = AssetForm(request.POST or None, file=asset.file, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.update_asset(
                actor=request.user,  # type: ignore[arg-type]
                asset_id=asset.pk,
                details=form.details(),
            ),
        )
        if done is not None:
            messages.success(request, _("The asset was saved."))
            return redirect("enforcement:asset_detail", asset.pk)
    context = {"form": form, "file": asset.file, "asset": asset}
    return render(
        request, "enforcement/asset_form.html", context, status=form_status(request, form)
    )


@capability_required(Capability.VIEW_FILES)
def asset_detail(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    return render(request, "enforcement/asset_detail.html", _detail_context(request, asset))


def _detail_context(
    request: HttpRequest, asset: Any, *, encumbrance_form: EncumbranceForm | None = None
) -> dict[str, Any]:
    user: Any = request.user
    return {
        "asset": asset,
        "file": asset.file,
        "photos": asset.photos.all(),
        "documents": asset.documents.all(),
        "encumbrances": asset.encumbrances.all(),
        "appraisals": asset.appraisals.all(),
        "appraisal": selectors.latest_appraisal(asset),
        "history": selectors.history(asset),
        "letters": asset.letters.select_related("agency"),
        "may_manage": user.has_perm(Capability.MANAGE_FILES),
        "may_approve": user.has_perm(Capability.APPROVE_SALES)
        and asset.registered_by_id != user.pk
        and engine.allowed(engine.ASSET_TRANSITIONS, "approve_for_sale", asset.status),
        "is_registrar": asset.registered_by_id == user.pk,
        "may_release": user.has_perm(Capability.ISSUE_ORDERS)
        and engine.allowed(engine.ASSET_TRANSITIONS, "release", asset.status),
        "may_appraise": engine.allowed(engine.ASSET_TRANSITIONS, "appraise", asset.status),
        "is_editable": asset.status in EDITABLE,
        "photos_form": PhotosForm(),
        "document_form": DocumentForm(),
        "encumbrance_form": encumbrance_form or EncumbranceForm(currency=asset.currency),
        "reason_form": ReasonForm(),
    }


@capability_required(Capability.MANAGE_FILES)
@require_POST
def photos_add(request: HttpRequest, asset_id: int) -> HttpResponse:
    form = PhotosForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["photos"]))
        return redirect(_back(asset_id, "#photos"))
    uploads = form.cleaned_data["photos"]
    return act(
        request,
        lambda: services.add_photos(actor=request.user, asset_id=asset_id, uploads=uploads),  # type: ignore[arg-type]
        _("The photos were added."),
        _back(asset_id, "#photos"),
    )


@capability_required(Capability.MANAGE_FILES)
@require_POST
def photo_delete(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = AssetPhoto.objects.filter(
        pk=photo_id, asset__in=access.assets_for(request.user)
    ).first()
    if photo is None:
        raise Http404
    return act(
        request,
        lambda: services.remove_photo(actor=request.user, photo_id=photo_id),  # type: ignore[arg-type]
        _("The photo was removed."),
        _back(photo.asset_id, "#photos"),
    )


def photo_file(request: HttpRequest, photo_id: int, size: str) -> HttpResponseBase:
    """A photo or its thumbnail: for staff of the court, or anyone once the asset is on sale."""
    photo = AssetPhoto.objects.select_related("asset").filter(pk=photo_id).first()
    if (
        photo is None
        or size not in ("full", "thumb")
        or not access.may_see_asset_photos(request.user, photo.asset)
    ):
        raise Http404
    return serve_private(photo.image if size == "full" else photo.thumbnail)


@capability_required(Capability.MANAGE_FILES)
@require_POST
def document_add(request: HttpRequest, asset_id: int) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Give the document a title and choose a PDF file."))
        return redirect(_back(asset_id, "#documents"))
    return act(
        request,
        lambda: services.add_document(
            actor=request.user,  # type: ignore[arg-type]
            asset_id=asset_id,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["document"],
        ),
        _("The document was added."),
        _back(asset_id, "#documents"),
    )


def document_file(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = AssetDocument.objects.select_related("asset").filter(pk=document_id).first()
    # The court's staff always; anyone once the asset is on public sale (its lot page links it).
    if document is None or not (
        access.may_see_asset_photos(request.user, document.asset)
        or access.assets_for(request.user).filter(pk=document.asset_id).exists()
    ):
        raise Http404
    return serve_private(document.document)


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def appraisal_record(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = AppraisalForm(data, files, currency=asset.currency)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.record_appraisal(
                actor=request.user,  # type: ignore[arg-type]
                asset_id=asset.pk,
                appraiser=form.cleaned_data["appraiser"],
                appraised_on=form.cleaned_data["appraised_on"],
                value_minor=form.cleaned_data["value"],
                report=form.cleaned_data.get("report"),
            ),
        )
        if done is not None:
            messages.success(request, _("The appraisal was recorded."))
            return redirect(_back(asset.pk, "#appraisal"))
    context = {"form": form, "asset": asset, "file": asset.file}
    return render(
        request, "enforcement/appraisal_form.html", context, status=form_status(request, form)
    )


@capability_required(Capability.VIEW_FILES)
def appraisal_report(request: HttpRequest, appraisal_id: int) -> HttpResponseBase:
    appraisal = Appraisal.objects.filter(
        pk=appraisal_id, asset__in=access.assets_for(request.user)
    ).first()
    if appraisal is None:
        raise Http404
    return serve_private(appraisal.report)


@capability_required(Capability.APPROVE_SALES)
@require_POST
def asset_approve(request: HttpRequest, asset_id: int) -> HttpResponse:
    return act(
        request,
        lambda: services.approve_for_sale(actor=request.user, asset_id=asset_id),  # type: ignore[arg-type]
        _("The asset is approved for sale."),
        _back(asset_id),
    )


@capability_required(Capability.ISSUE_ORDERS)
@require_POST
def asset_release(request: HttpRequest, asset_id: int) -> HttpResponse:
    return act(
        request,
        lambda: services.release_asset(
            actor=request.user,  # type: ignore[arg-type]
            asset_id=asset_id,
            reason=posted_text(request, "reason"),
        ),
        _("The asset was released from seizure."),
        _back(asset_id),
    )


@capability_required(Capability.MANAGE_FILES)
@require_POST
def encumbrance_add(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    form = EncumbranceForm(request.POST, currency=asset.currency)
    if not form.is_valid():
        # The asset's page again, with the form's errors beside their fields and nothing stored.
        context = _detail_context(request, asset, encumbrance_form=form)
        return render(request, "enforcement/asset_detail.html", context, status=400)
    return act(
        request,
        lambda: services.add_encumbrance(
            actor=request.user,  # type: ignore[arg-type]
            asset_id=asset_id,
            kind=form.cleaned_data["kind"],
            holder=form.cleaned_data["holder"],
            amount_minor=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
            holder_id_number=form.cleaned_data["holder_id_number"],
            holder_id_country=form.cleaned_data["holder_id_country"],
        ),
        _("The encumbrance was recorded."),
        _back(asset_id, "#inherits"),
    )


@capability_required(Capability.MANAGE_FILES)
@require_POST
def encumbrance_delete(request: HttpRequest, encumbrance_id: int) -> HttpResponse:
    encumbrance = Encumbrance.objects.filter(
        pk=encumbrance_id, asset__in=access.assets_for(request.user)
    ).first()
    if encumbrance is None:
        raise Http404
    return act(
        request,
        lambda: services.remove_encumbrance(actor=request.user, encumbrance_id=encumbrance_id),  # type: ignore[arg-type]
        _("The encumbrance was removed."),
        _back(encumbrance.asset_id, "#inherits"),
    )
