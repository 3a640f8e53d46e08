from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("manage/", views.overview, name="overview"),
    path("me/", views.my_coaching, name="my_coaching"),
    path("me/profile/", views.profile, name="profile"),
    path("me/profile/about/", views.profile_about, name="profile_about"),
    path("me/profile/tokens/<int:pk>/revoke/", views.profile_token_revoke,
         name="profile_token_revoke"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/members/", views.member_list, name="member_list"),
    path("settings/members/<int:pk>/", views.member_edit, name="member_edit"),
    path("settings/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("settings/invitations/<int:pk>/resend/", views.invitation_resend,
         name="invitation_resend"),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke,
         name="invitation_revoke"),
    path("settings/api-tokens/", views.api_token_list, name="api_token_list"),
    path("settings/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_edit, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
]
