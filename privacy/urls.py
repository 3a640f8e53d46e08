"""Privacy pages under ``/o/<org>/privacy/``: the access log and the retention settings."""

from django.urls import path

from . import views, views_retention

app_name = "privacy"

urlpatterns = [
    path("me/access/", views.my_access, name="my_access"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/export/", views.access_log_export, name="access_log_export"),
    path("retention/", views_retention.retention_settings, name="retention_settings"),
]
