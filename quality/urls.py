"""Quality pages under ``/o/<org>/quality/``; each area adds its paths here."""

from django.urls import path  # noqa: F401  (areas add their paths below)

from .views import audits, dashboards, interactions

app_name = "quality"

urlpatterns: list = [
    path("leaderboard/", dashboards.leaderboard, name="leaderboard"),
    path("me/", dashboards.my_quality, name="my_quality"),
    path("interactions/", interactions.interaction_list, name="interactions"),
    path("interactions/<int:pk>/", interactions.interaction_detail, name="interaction"),
    path("interactions/<int:pk>/audit/", audits.audit_start, name="audit_start"),
    path("interactions/<int:pk>/best-responses/", interactions.best_response_add,
         name="best_response_add"),
    path("best-responses/<int:pk>/remove/", interactions.best_response_remove,
         name="best_response_remove"),
    path("audits/", audits.audit_queue, name="audit_queue"),
    path("audits/allocate/", audits.audit_allocate, name="audit_allocate"),
    path("audits/<int:pk>/", audits.audit_screen, name="audit"),
    path("evaluations/<int:pk>/", audits.evaluation_detail, name="evaluation"),
]

# Scorecards and the quality settings (org admins and QA analysts).
from .views import scorecards  # noqa: E402
from .views import settings as settings_views  # noqa: E402

urlpatterns += [
    path("scorecards/", scorecards.scorecard_list, name="scorecard_list"),
    path("scorecards/new/", scorecards.scorecard_edit, name="scorecard_create"),
    path("scorecards/export/", scorecards.scorecards_export, name="scorecards_export"),
    path("scorecards/<int:pk>/", scorecards.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/edit/", scorecards.scorecard_edit, name="scorecard_edit"),
    path("scorecards/<int:pk>/export/", scorecards.scorecard_export, name="scorecard_export"),
    path("scorecards/<int:pk>/archive/", scorecards.scorecard_archive,
         name="scorecard_archive"),
    path("settings/", settings_views.settings_view, name="settings"),
]

# Agent disputes, the reviewers' side: the queue and the decision page of one round.
from .views import dispute_reviews  # noqa: E402

urlpatterns += [
    path("disputes/review/", dispute_reviews.dispute_queue, name="dispute_queue"),
    path("disputes/review/<int:pk>/", dispute_reviews.dispute_detail, name="dispute_review"),
]

# Dispute analytics and "Send to calibration" (QA analysts, org admins; coaches: their teams).
from .views import dispute_analytics  # noqa: E402

urlpatterns += [
    path("disputes/analytics/", dispute_analytics.dispute_analytics, name="dispute_analytics"),
    path("disputes/analytics/calibrate/", dispute_analytics.send_to_calibration,
         name="send_to_calibration"),
]

# Agent disputes, the agent's side: accept or dispute their own audit from its page.
from .views import review as review_views  # noqa: E402

urlpatterns += [
    path("evaluations/<int:pk>/accept/", review_views.review_accept, name="review_accept"),
    path("evaluations/<int:pk>/dispute/", review_views.review_dispute, name="review_dispute"),
]

# Calibration sessions: the list, opening one, blind scoring, the session page (reveal,
# final answers). Participants, leads, QA analysts and org admins; 404 for anyone else.
from .views import calibration  # noqa: E402

urlpatterns += [
    path("calibration/", calibration.calibration_list, name="calibration_list"),
    path("calibration/new/", calibration.calibration_create, name="calibration_create"),
    path("calibration/new/search/", calibration.calibration_search,
         name="calibration_search"),
    path("calibration/<int:pk>/", calibration.calibration_detail, name="calibration_detail"),
    path("calibration/<int:pk>/score/", calibration.calibration_score,
         name="calibration_score_next"),
    path("calibration/<int:pk>/score/<int:position>/", calibration.calibration_score,
         name="calibration_score"),
    path("calibration/<int:pk>/reveal/", calibration.calibration_reveal,
         name="calibration_reveal"),
    path("calibration/<int:pk>/final/", calibration.calibration_final,
         name="calibration_final"),
]

# Calibration over time and its alert thresholds (QA analysts and org admins; 404 otherwise).
from .views import calibration_drift  # noqa: E402

urlpatterns += [
    path("calibration/drift/", calibration_drift.calibration_drift_view,
         name="calibration_drift"),
    path("calibration/thresholds/", calibration_drift.calibration_thresholds_view,
         name="calibration_thresholds"),
]
