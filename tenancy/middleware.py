"""Resolve the organization of a ``/o/<slug>/…`` request and activate its scope.

An unknown organization and one the user does not belong to look the same: 404, so the
answer never confirms that a tenant exists. Anonymous visitors are sent to the login page
first. The Django admin runs in the scope of the admin's organization (superusers run
unscoped), so every admin query, widget and lookup stays inside one tenant.
"""

import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django_scopes import scope, scopes_disabled

from .models import Organization
from .selectors import membership_for

TENANT_PATH = re.compile(r"^/o/(?P<slug>[^/]+)/")
ADMIN_PATH = "/admin/"
CURRENT_ORG_SESSION_KEY = "current_organization_id"


def admin_organization(request) -> Organization | None:
    """The organization an org admin administers in the Django admin.

    The one chosen with the org switcher when the user is an org admin there, otherwise
    the first organization (by name) where they are one.
    """
    from .selectors import memberships_of_user

    if not request.user.is_authenticated:
        return None
    admin_memberships = [m for m in memberships_of_user(request.user) if m.is_org_admin]
    current_id = request.session.get(CURRENT_ORG_SESSION_KEY)
    for membership in admin_memberships:
        if membership.organization_id == current_id:
            return membership.organization
    return admin_memberships[0].organization if admin_memberships else None


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        match = TENANT_PATH.match(request.path_info)
        if match:
            return self._tenant_request(request, match["slug"])
        if request.path_info.startswith(ADMIN_PATH):
            return self._admin_request(request)
        return self.get_response(request)

    def _tenant_request(self, request, slug):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        organization = Organization.objects.filter(slug=slug).first()
        membership = membership_for(request.user, organization) if organization else None
        if membership is None:
            raise Http404("No such organization.")
        request.organization = organization
        request.membership = membership
        request.user._current_organization = organization
        if request.session.get(CURRENT_ORG_SESSION_KEY) != organization.pk:
            request.session[CURRENT_ORG_SESSION_KEY] = organization.pk
        with scope(organization=organization):
            return self.get_response(request)

    def _admin_request(self, request):
        user = request.user
        if user.is_authenticated and user.is_superuser:
            with scopes_disabled():
                return self.get_response(request)
        organization = admin_organization(request) if user.is_authenticated else None
        request.organization = organization
        if organization is not None:
            user._current_organization = organization
        # Without an organization the scope is empty: nothing tenant-owned is visible.
        with scope(organization=organization):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The slug has done its work; views receive the organization on the request.
        view_kwargs.pop("org_slug", None)
        return None
