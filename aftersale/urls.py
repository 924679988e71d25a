from django.urls import path

from aftersale.views import buyer, finance, objections, reconciliation, settlements

app_name = "aftersale"

urlpatterns = [
    path("purchases/", buyer.purchases, name="purchases"),
    path("purchases/<uuid:public_id>/", buyer.purchase, name="purchase"),
    path("results/<uuid:public_id>/objection/", objections.objection_file, name="objection_file"),
    path("staff/sales/<int:sale_id>/", objections.sale_review, name="sale_review"),
    path(
        "staff/objections/<int:objection_id>/decide/",
        objections.objection_decide,
        name="objection_decide",
    ),
    path("my-files/", buyer.my_files, name="my_files"),
    path("my-files/<int:file_id>/pay/", buyer.redeem, name="redeem"),
    path("my-files/<int:file_id>/settlement/", settlements.my_settlement, name="my_settlement"),
    path(
        "my-files/<int:file_id>/settlement/pay/",
        settlements.pay_instalment,
        name="pay_instalment",
    ),
    path(
        "my-files/<int:file_id>/settlement/decision.pdf",
        settlements.my_settlement_pdf,
        name="my_settlement_pdf",
    ),
    path("finance/", finance.dashboard, name="dashboard"),
    path("finance/balances.csv", finance.balances_csv, name="balances_csv"),
    path("finance/distributions/<int:distribution_id>/", finance.distribution, name="distribution"),
    path(
        "finance/distributions/<int:distribution_id>/cancel/",
        finance.distribution_cancel,
        name="distribution_cancel",
    ),
    path("finance/disbursements/", finance.disbursements, name="disbursements"),
    path(
        "finance/disbursements/<int:disbursement_id>/<str:action>/",
        finance.disbursement_action,
        name="disbursement_action",
    ),
    path("finance/seized-funds/", finance.seized_funds, name="seized_funds"),
    path("finance/reconciliation/", reconciliation.index, name="reconciliation"),
    path("finance/reconciliation/<int:statement_id>/", reconciliation.statement, name="statement"),
    path(
        "finance/reconciliation/exceptions/<int:match_id>/resolve/",
        reconciliation.resolve,
        name="resolve",
    ),
    path("finance/reconciliation/report/", reconciliation.report, name="report"),
    path("finance/reconciliation/sample.xml", reconciliation.sample, name="sample_statement"),
]
