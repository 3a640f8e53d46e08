"""Access-log pages under ``/o/<org>/privacy/``."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("me/access/", views.my_access, name="my_access"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/export/", views.access_log_export, name="access_log_export"),
]
