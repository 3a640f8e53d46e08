from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.my_surveys, name="my_surveys"),
    path("responses/<int:pk>/", views.take, name="take"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_edit, name="template_create"),
    path("templates/<int:pk>/", views.template_detail, name="template_detail"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("templates/<int:pk>/results/", views.template_results, name="template_results"),
    path("templates/<int:template_pk>/questions/new/", views.question_edit,
         name="question_create"),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/move/", views.question_move, name="question_move"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("effectiveness/", views.effectiveness, name="effectiveness"),
    path("settings/", views.settings_view, name="settings"),
]
