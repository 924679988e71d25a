"""Public downloads of a lot: its documents as one pack (`auction.document_pack`)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from auction import document_pack
from core.errors import NotFound


@require_GET
def lot_documents(request: HttpRequest, lot_id: int) -> HttpResponseBase:
    """The lot's documents and their index as one ZIP, streamed; 413 over the size limit."""
    try:
        lot = document_pack.public_lot(lot_id)
    except NotFound as error:
        raise Http404 from error
    try:
        entries = document_pack.entries_of(lot)
    except document_pack.PackTooLarge as error:
        return render(
            request,
            "auction/public/pack_refused.html",
            {"lot": lot, "message": error.render()},
            status=error.status,
        )
    response = StreamingHttpResponse(
        document_pack.stream(lot, entries), content_type="application/zip"
    )
    name = f"{lot.reference.replace('/', '-')}-documents.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
