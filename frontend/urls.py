from django.urls import path

from frontend import views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/announce/", views.announce, name="announce"),
    path("workspace/status/", views.service_status, name="status"),
]
