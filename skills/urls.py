from django.urls import path

from .views import catalogue, imports, matrix, overview, people, recommendations, reviews

app_name = "skills"

urlpatterns = [
    path("", matrix.matrix, name="matrix"),
    path("matrix/cell/<int:user_id>/<int:skill_id>/", matrix.matrix_cell, name="matrix_cell"),
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    path("catalogue/new/", catalogue.skill_edit, name="skill_create"),
    path("catalogue/<int:pk>/", overview.skill_overview, name="overview"),
    path("catalogue/<int:pk>/edit/", catalogue.skill_edit, name="skill_edit"),
    path("levels/", catalogue.level_list, name="levels"),
    path("levels/<int:pk>/", catalogue.level_edit, name="level_edit"),
    path("levels/<int:pk>/move/<str:direction>/", catalogue.level_move, name="level_move"),
    path("levels/<int:pk>/delete/", catalogue.level_delete, name="level_delete"),
    path("people/<int:user_id>/", people.person_skills, name="person"),
    path("me/", people.my_skills, name="my_skills"),
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:pk>/withdraw/", reviews.review_withdraw, name="review_withdraw"),
    path("reviews/<int:pk>/<slug:decision>/", reviews.review_decide, name="review_decide"),
    path("import/", imports.import_upload, name="import"),
    path("recommendations/", recommendations.recommendation_list, name="recommendation_list"),
    path("recommendations/<int:pk>/", recommendations.recommendation_detail,
         name="recommendation_detail"),
    path("recommendations/<int:pk>/reopen/", recommendations.recommendation_reopen,
         name="recommendation_reopen"),
    path("recommendations/<int:pk>/<slug:decision>/", recommendations.recommendation_decide,
         name="recommendation_decide"),
]
