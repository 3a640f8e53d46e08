from django.urls import path

from . import views

app_name = "routing"

urlpatterns = [
    path("", views.team_load, name="team_load"),
    path("settings/", views.routing_settings, name="settings"),
    path("items/<int:pk>/assign/", views.assign, name="assign"),
]
