"""Bulk import of seized assets: upload, then a progress bar that drives the import step by step."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import capability_required
from accounts.roles import Capability
from core.errors import DomainError
from core.pages import attempt, form_status, raise_for_status
from enforcement import access, importing, services
from enforcement.models import AssetImport
from enforcement.views.forms import ImportForm


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = attempt(
            form,
            lambda: services.start_import(actor=request.user, upload=form.cleaned_data["source"]),  # type: ignore[arg-type]
        )
        if batch is not None:
            return redirect("enforcement:import_detail", batch.pk)
    context = {
        "form": form,
        "imports": access.imports_for(request.user)[:10],
        "columns": importing.COLUMNS,
    }
    return render(
        request, "enforcement/import_start.html", context, status=form_status(request, form)
    )


def _batch(request: HttpRequest, import_id: int) -> AssetImport:
    batch = access.imports_for(request.user).filter(pk=import_id).first()
    if batch is None:
        raise Http404
    return batch


@capability_required(Capability.MANAGE_FILES)
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    return render(request, "enforcement/import_detail.html", {"batch": _batch(request, import_id)})


@capability_required(Capability.MANAGE_FILES)
@require_POST
def import_step(request: HttpRequest, import_id: int) -> HttpResponse:
    """Import the next rows and answer with the progress fragment (htmx polls until done)."""
    _batch(request, import_id)
    try:
        batch = services.run_import_step(actor=request.user, import_id=import_id)  # type: ignore[arg-type]
    except DomainError as error:
        raise_for_status(error)
        raise
    return render(request, "enforcement/import_progress.html", {"batch": batch})


@capability_required(Capability.MANAGE_FILES)
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(importing.sample_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="seized-assets.csv"'
    return response
