"""Root URLs. Tenant pages live under ``/o/<org_slug>/``; each app adds its own include."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from tenancy import views as tenancy_views

admin.site.site_header = "Coachdesk administration"
admin.site.site_title = "Coachdesk admin"

tenant_patterns = [
    path("", include("tenancy.urls")),
    path("coaching/", include("coaching.urls")),
    path("opportunities/", include("opportunities.urls")),
    path("skills/", include("skills.urls")),
    path("surveys/", include("surveys.urls")),
    path("quality/", include("quality.urls")),
    path("work/", include("work.urls")),
    path("learning/", include("learning.urls")),
    path("routing/", include("routing.urls")),
    path("privacy/", include("privacy.urls")),
]

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Outside /o/<slug>/: whoever follows an invitation is not a member yet.
    path("invitations/<str:token>/", tenancy_views.invitation_accept, name="invitation_accept"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("o/<slug:org_slug>/", include(tenant_patterns)),
]
