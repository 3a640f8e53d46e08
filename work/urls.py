from django.urls import path

from . import views

app_name = "work"

urlpatterns = [
    path("", views.work_list, name="list"),
    path("<int:pk>/", views.work_detail, name="detail"),
    path("import/", views.work_import_new, name="import"),
    path("import/<int:pk>/", views.work_import_detail, name="import_detail"),
]
