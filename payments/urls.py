from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("webhooks/stripe", views.stripe_webhook, name="stripe_webhook"),
    path("", views.my_payments, name="mine"),
    path("<uuid:public_id>/", views.pay, name="pay"),
    path("finance/", views.finance, name="finance"),
    path("finance/ledger/", views.ledger_page, name="ledger"),
    path(
        "finance/transfers/<int:payment_id>/confirm/",
        views.confirm_transfer,
        name="confirm_transfer",
    ),
    path("finance/refunds/<int:refund_id>/confirm/", views.confirm_refund, name="confirm_refund"),
    path("finance/jobs/<int:job_id>/retry/", views.retry_job, name="retry_job"),
]
