from django.urls import path

from auction import downloads, public, viewing_views, views

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
    path("my-auctions/", public.my_auctions, name="mine"),
    path("lots/<int:lot_id>/bids.<str:fmt>", public.lot_record, name="lot_record"),
    path("open-data/", public.open_data, name="open_data"),
    path("open-data/results.<str:fmt>", public.open_results, name="open_results"),
]
