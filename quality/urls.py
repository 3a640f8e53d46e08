"""Quality pages under ``/o/<org>/quality/``; each area adds its paths here."""

from django.urls import path  # noqa: F401  (areas add their paths below)

from .views import dashboards

app_name = "quality"

urlpatterns: list = [
    path("leaderboard/", dashboards.leaderboard, name="leaderboard"),
    path("me/", dashboards.my_quality, name="my_quality"),
]
