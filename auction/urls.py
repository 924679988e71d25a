from django.urls import path

from auction import budget_pages, catalog_views, downloads, public, viewing_views, views

app_name = "auction"

urlpatterns = [
    path("staff/auctions/", views.auction_list, name="staff_list"),
    path("staff/auctions/new/", views.auction_create, name="staff_create"),
    path("staff/auctions/<int:auction_id>/", views.auction_detail, name="staff_detail"),
    path("staff/auctions/<int:auction_id>/publish/", views.auction_publish, name="publish"),
    path(
        "staff/auctions/<int:auction_id>/cancel/",
        views.auction_cancel_propose,
        name="cancel_propose",
    ),
    path(
        "staff/auctions/<int:auction_id>/cancel/decide/",
        views.auction_cancel_decide,
        name="cancel_decide",
    ),
    path("staff/auctions/<int:auction_id>/live/", views.live_board, name="live_board"),
    path(
        "staff/auctions/<int:auction_id>/lots/<int:lot_id>/withdraw/",
        views.lot_withdraw,
        name="withdraw",
    ),
    path("staff/auctions/<int:auction_id>/lots/<int:lot_id>/annul/", views.bid_annul, name="annul"),
    path("staff/sale-rules/", views.sale_rules, name="sale_rules"),
    path("staff/next-rounds/", views.next_rounds, name="next_rounds"),
    path(
        "staff/next-rounds/lots/<int:lot_id>/propose/",
        views.next_round_propose,
        name="next_round_propose",
    ),
    path(
        "staff/next-rounds/<int:proposal_id>/decide/",
        views.next_round_decide,
        name="next_round_decide",
    ),
    path("auctions/", public.catalog_page, name="catalog"),
    path("lots/<int:lot_id>/", public.lot_page, name="lot"),
    path("lots/<int:lot_id>/documents.zip", downloads.lot_documents, name="lot_documents"),
    path("lots/<int:lot_id>/viewings/", viewing_views.lot_viewings, name="viewings"),
    path(
        "staff/auctions/<int:auction_id>/lots/<int:lot_id>/viewings/",
        viewing_views.staff_viewings,
        name="staff_viewings",
    ),
    path("lots/<int:lot_id>/register/", public.register, name="register"),
    path("lots/<int:lot_id>/watch/", public.watch, name="watch"),
    path("lots/<int:lot_id>/bids/<int:seq>/receipt/", public.bid_receipt, name="bid_receipt"),
    path("my-auctions/", public.my_auctions, name="mine"),
    path(
        "my-auctions/bids/<int:lot_id>/<int:seq>/receipt.pdf",
        public.bid_receipt_download,
        {"fmt": "pdf"},
        name="bid_receipt_pdf",
    ),
    path(
        "my-auctions/bids/<int:lot_id>/<int:seq>/receipt.json",
        public.bid_receipt_download,
        {"fmt": "json"},
        name="bid_receipt_json",
    ),
    path("my-budgets/", budget_pages.budget_list, name="budgets"),
    path("my-budgets/new/", budget_pages.budget_edit, name="budget_new"),
    path("my-budgets/<int:budget_id>/", budget_pages.budget_edit, name="budget_edit"),
    path("my-budgets/<int:budget_id>/remove/", budget_pages.budget_remove, name="budget_remove"),
    path("lots/<int:lot_id>/bids.<str:fmt>", public.lot_record, name="lot_record"),
    path("open-data/", public.open_data, name="open_data"),
    path("auctions/save-search/", catalog_views.save_search, name="save_search"),
    path("my-auctions/searches/", catalog_views.saved_search_list, name="saved_searches"),
    path(
        "my-auctions/searches/<int:search_id>/",
        catalog_views.saved_search_edit,
        name="saved_search_edit",
    ),
    path(
        "my-auctions/searches/<int:search_id>/delete/",
        catalog_views.saved_search_delete,
        name="saved_search_delete",
    ),
    path("lots/<int:lot_id>/questions/", catalog_views.ask, name="ask"),
    path("staff/questions/", catalog_views.question_queue, name="staff_questions"),
    path(
        "staff/questions/<int:question_id>/answer/",
        catalog_views.answer_question,
        name="answer_question",
    ),
    path(
        "staff/questions/<int:question_id>/reject/",
        catalog_views.reject_question,
        name="reject_question",
    ),
    path("open-data/results.<str:fmt>", public.open_results, name="open_results"),
]
