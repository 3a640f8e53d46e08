from django.urls import path

from . import (
    views,
    views_advice_settings,
    views_assignments,
    views_backlog,
    views_behaviours,
    views_monitor,
    views_plans,
)

app_name = "coaching"

va = views_assignments
views_assignments_urls = [
    path("marked/", va.marked, name="marked"),
    path("marked/evaluations/<int:evaluation_id>/mark/", va.mark, name="mark"),
    path("marked/marks/<int:pk>/remove/", va.mark_remove, name="mark_remove"),
    path("marked/agents/<int:agent_id>/assign/", va.assign_from_marks, name="assign_from_marks"),
    path("marked/groups/new/", va.group_create, name="group_create"),
    path("marked/groups/check-name/", va.group_name_check, name="group_name_check"),
    path("marked/groups/agents/", va.group_add_agents, name="group_add_agents"),
    path("marked/groups/<int:pk>/dispatch/", va.group_dispatch, name="group_dispatch"),
    path("assignments/", va.assignment_list, name="assignment_list"),
    path("assignments/new/evaluations/<int:evaluation_id>/", va.assignment_from_evaluation,
         name="assignment_from_evaluation"),
    path("assignments/groups/<int:pk>/", va.group_assignment_agents,
         name="group_assignment_agents"),
    path("assignments/<int:pk>/", va.assignment_detail, name="assignment_detail"),
    path("assignments/<int:pk>/agents/", va.assignment_agents, name="assignment_agents"),
    path("assignments/<int:pk>/evaluations/<int:evaluation_id>/", va.assignment_evaluation,
         name="assignment_evaluation"),
    path("assignments/<int:pk>/examples/<int:link_id>/", va.assignment_example,
         name="assignment_example"),
    path("me/assignments/", va.my_assignments, name="my_assignments"),
    path("me/assignments/<int:pk>/", va.my_assignment, name="my_assignment"),
    path("me/assignments/<int:pk>/review/<slug:kind>/<int:link_id>/", va.review,
         name="assignment_review"),
]

views_monitor_urls = [
    path("monitor/", views_monitor.monitor_page, name="monitor"),
    path("monitor/effects/", views_monitor.monitor_effects, name="monitor_effects"),
    path("monitor/<int:pk>/", views_monitor.monitor_detail, name="monitor_detail"),
]

vp = views_plans
views_plans_urls = [
    path("plans/new/", vp.plan_create, name="plan_create"),
    path("plans/new/advice/", vp.plan_advice, name="plan_advice"),
    path("plans/new/feedback/", vp.plan_feedback, name="plan_feedback"),
    path("plans/<int:pk>/", vp.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/send/", vp.plan_send, name="plan_send"),
    path("plans/<int:pk>/notes/", vp.plan_note_add, name="plan_note_add"),
    path("plans/<int:pk>/delete/", vp.plan_delete, name="plan_delete"),
    path("agents/<int:agent_id>/sessions/", vp.agent_sessions, name="agent_sessions"),
    path("settings/advice/", views_advice_settings.advice_settings, name="advice_settings"),
    path("settings/advice/check/", views_advice_settings.advice_settings_check,
         name="advice_settings_check"),
]

vb = views_behaviours
views_behaviours_urls = [
    path("behaviours/", vb.team_performance, name="behaviours_team"),
    path("behaviours/required/", vb.coaching_required, name="behaviours_required"),
    path("behaviours/agents/", vb.agent_directory, name="behaviours_agents"),
    path("behaviours/agents/<int:agent_id>/", vb.agent_overview, name="behaviours_agent"),
    path("behaviours/me/", vb.my_overview, name="my_overview"),
]

vbl = views_backlog
views_backlog_urls = [
    path("backlog/", vbl.backlog, name="backlog"),
    path("backlog/assessments/<int:pk>/claim/", vbl.backlog_claim, name="backlog_claim"),
    path("backlog/settings/", vbl.backlog_settings, name="backlog_settings"),
    path("backlog/capacity/", vbl.backlog_capacity, name="backlog_capacity"),
]

urlpatterns = [
    path("", views.overview, name="overview"),
    path("assessments/", views.assessment_list, name="list"),
    path("assessments/new/", views.assessment_create, name="create"),
    path("assessments/<int:pk>/", views.assessment_detail, name="detail"),
    path("assessments/<int:pk>/details/", views.assessment_details, name="details"),
    path("assessments/<int:pk>/claim/", views.assessment_claim, name="claim"),
    path("assessments/<int:pk>/skills/", views.assessment_skill_add, name="skill_add"),
    path("assessments/<int:pk>/skills/<int:skill_id>/remove/", views.assessment_skill_remove,
         name="skill_remove"),
    path("assessments/<int:pk>/training/", views.assessment_courses, name="courses"),
    path("assessments/<int:pk>/surveys/", views.assessment_surveys, name="surveys"),
    path("assessments/<int:pk>/surveys/coach/", views.assessment_take_survey,
         name="take_survey"),
    path("assessments/<int:pk>/<slug:action>/", views.assessment_action, name="action"),
    path("me/", views.my_assessments, name="mine"),
    *views_assignments_urls,
    *views_monitor_urls,
    *views_behaviours_urls,
    *views_plans_urls,
    *views_backlog_urls,
]
