"""Quality pages under ``/o/<org>/quality/``; each area adds its paths here."""

from django.urls import path  # noqa: F401  (areas add their paths below)

app_name = "quality"

urlpatterns: list = [
]
