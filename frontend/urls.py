from django.urls import path

from frontend import app, help_pages, views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("service-worker.js", app.service_worker, name="service_worker"),
    path("manifest.<str:language>.webmanifest", app.manifest, name="manifest"),
    path("offline/<str:language>/", app.offline, name="offline"),
    path("help/", help_pages.index, name="help"),
    path("help/<slug:slug>/", help_pages.topic, name="help_topic"),
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/announce/", views.announce, name="announce"),
    path("workspace/status/", views.service_status, name="status"),
]
