from django.urls import path

from . import views

app_name = "coaching"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("assessments/", views.assessment_list, name="list"),
    path("assessments/new/", views.assessment_create, name="create"),
    path("assessments/<int:pk>/", views.assessment_detail, name="detail"),
    path("assessments/<int:pk>/details/", views.assessment_details, name="details"),
    path("assessments/<int:pk>/skills/", views.assessment_skill_add, name="skill_add"),
    path("assessments/<int:pk>/skills/<int:skill_id>/remove/", views.assessment_skill_remove,
         name="skill_remove"),
    path("assessments/<int:pk>/training/", views.assessment_courses, name="courses"),
    path("assessments/<int:pk>/surveys/", views.assessment_surveys, name="surveys"),
    path("assessments/<int:pk>/surveys/coach/", views.assessment_take_survey,
         name="take_survey"),
    path("assessments/<int:pk>/<slug:action>/", views.assessment_action, name="action"),
    path("me/", views.my_assessments, name="mine"),
]
