"""URL routes of the whole site; each app owns its own list."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from core.views import (
    livez,
    readyz,
    receipt_keys,
    receipt_pdf,
    receipt_verify,
    signed_receipt_verify,
)
from enforcement.api import api as agency_api
from enforcement.verification import letter_verify

urlpatterns = [
    path("livez", livez, name="livez"),
    path("readyz", readyz, name="readyz"),
    # The old address of readiness, kept for probes set up with it: the same answer as /readyz.
    path("healthz", readyz, name="healthz"),
    path("receipts/verify/", signed_receipt_verify, name="signed_receipt_verify"),
    path(".well-known/mazad-receipt-keys.json", receipt_keys, name="receipt_keys"),
    path("receipts/<str:number>/verify/", receipt_verify, name="receipt_verify"),
    path("receipts/<str:number>.pdf", receipt_pdf, name="receipt_pdf"),
    path("letters/<str:number>/verify/", letter_verify, name="letter_verify"),
    path("accounts/", include("accounts.urls")),
    path("payments/", include("payments.urls")),
    path("support/", include("support.urls")),
    path("", include("aftersale.urls")),
    path("workspace/", include("enforcement.urls")),
    path("api/v1/", agency_api.urls),
    path("", include("auction.urls")),
    path("admin/", admin.site.urls),
    path("", include("frontend.urls")),
]

if settings.DEBUG:
    # Public uploads (asset photos) in development; production serves MEDIA_ROOT from the proxy.
    urlpatterns += [
        path(
            "media/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT, "show_indexes": False},
        ),
    ]

handler400 = "frontend.views.error_400"
handler403 = "frontend.views.error_403"
handler404 = "frontend.views.error_404"
handler500 = "frontend.views.error_500"
