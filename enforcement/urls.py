from django.urls import path

from enforcement.views import assets, files, imports, letters, requests, settlements

app_name = "enforcement"

urlpatterns = [
    path("files/", files.file_list, name="file_list"),
    path("files/new/", files.file_create, name="file_create"),
    path("files/<int:file_id>/", files.file_detail, name="file_detail"),
    path("files/<int:file_id>/edit/", files.file_edit, name="file_edit"),
    path("files/<int:file_id>/parties/new/", files.party_add, name="party_add"),
    path("files/<int:file_id>/status/", files.file_status, name="file_status"),
    path("files/<int:file_id>/instrument/", files.instrument_document, name="instrument_document"),
    path("files/<int:file_id>/orders/new/", files.order_create, name="order_create"),
    path("orders/<int:order_id>/sign/", files.order_sign, name="order_sign"),
    path("orders/<int:order_id>/draft.pdf", files.order_draft, name="order_draft"),
    path(
        "signed-documents/<int:document_id>.pdf",
        files.signed_document,
        name="signed_document",
    ),
    path("orders/<int:order_id>/", files.order_detail, name="order_detail"),
    path(
        "orders/answers/<int:answer_id>/document/",
        files.order_answer_document,
        name="order_answer_document",
    ),
    path(
        "orders/<int:order_id>/deliveries/<int:delivery_id>/redeliver/",
        files.webhook_redeliver,
        name="webhook_redeliver",
    ),
    path("orders/<int:order_id>/<str:action>/", files.order_action, name="order_action"),
    path("files/<int:file_id>/assets/new/", assets.asset_create, name="asset_create"),
    path("files/<int:file_id>/letters/new/", letters.letter_send, name="letter_send"),
    path("assets/<int:asset_id>/", assets.asset_detail, name="asset_detail"),
    path("assets/<int:asset_id>/edit/", assets.asset_edit, name="asset_edit"),
    path("assets/<int:asset_id>/photos/", assets.photos_add, name="photos_add"),
    path("assets/<int:asset_id>/documents/", assets.document_add, name="document_add"),
    path("assets/<int:asset_id>/appraisal/", assets.appraisal_record, name="appraisal_record"),
    path("assets/<int:asset_id>/approve/", assets.asset_approve, name="asset_approve"),
    path("assets/<int:asset_id>/release/", assets.asset_release, name="asset_release"),
    path("assets/<int:asset_id>/encumbrances/", assets.encumbrance_add, name="encumbrance_add"),
    path(
        "encumbrances/<int:encumbrance_id>/delete/",
        assets.encumbrance_delete,
        name="encumbrance_delete",
    ),
    path("photos/<int:photo_id>/delete/", assets.photo_delete, name="photo_delete"),
    path("photos/<int:photo_id>/<str:size>.jpg", assets.photo_file, name="photo_file"),
    path("documents/<int:document_id>/", assets.document_file, name="document_file"),
    path("appraisals/<int:appraisal_id>/report/", assets.appraisal_report, name="appraisal_report"),
    path("letters/", letters.letter_list, name="letter_list"),
    path("letters/overdue/", settlements.letters_overdue, name="letters_overdue"),
    path(
        "files/<int:file_id>/settlement/new/",
        settlements.settlement_create,
        name="settlement_create",
    ),
    path(
        "settlements/<int:settlement_id>/",
        settlements.settlement_detail,
        name="settlement_detail",
    ),
    path(
        "settlements/<int:settlement_id>/decide/",
        settlements.settlement_decide,
        name="settlement_decide",
    ),
    path(
        "settlements/<int:settlement_id>/decision.pdf",
        settlements.settlement_pdf,
        name="settlement_pdf",
    ),
    path("letters/<int:letter_id>/", letters.letter_detail, name="letter_detail"),
    path("letters/<int:letter_id>/pdf/", letters.letter_pdf, name="letter_pdf"),
    path(
        "letters/<int:letter_id>/answer-document/", letters.answer_document, name="answer_document"
    ),
    path(
        "letters/<int:letter_id>/acknowledge/",
        letters.letter_acknowledge,
        name="letter_acknowledge",
    ),
    path("letters/<int:letter_id>/answer/", letters.letter_answer, name="letter_answer"),
    path("api-tokens/", letters.api_tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", letters.api_token_revoke, name="api_token_revoke"),
    path("requests/", requests.request_list, name="request_list"),
    path("requests/new/", requests.request_create, name="request_create"),
    path("requests/<int:request_id>/", requests.request_detail, name="request_detail"),
    path(
        "requests/<int:request_id>/instrument/",
        requests.request_instrument,
        name="request_instrument",
    ),
    path("requests/<int:request_id>/accept/", requests.request_accept, name="request_accept"),
    path("requests/<int:request_id>/reject/", requests.request_reject, name="request_reject"),
    path("imports/", imports.import_start, name="import_start"),
    path("imports/template.csv", imports.import_template, name="import_template"),
    path("imports/<int:import_id>/", imports.import_detail, name="import_detail"),
    path("imports/<int:import_id>/step/", imports.import_step, name="import_step"),
]
