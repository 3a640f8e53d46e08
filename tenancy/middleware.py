"""Resolve the organization of a ``/o/<slug>/…`` request and activate its scope.

An unknown organization and one the user does not belong to look the same: 404, so the
answer never confirms that a tenant exists. Anonymous visitors are sent to the login page
first. The Django admin runs in the scope of the admin's organization (superusers run
unscoped), so every admin query, widget and lookup stays inside one tenant.
"""

import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse
from django_scopes import scope, scopes_disabled

from . import rls
from .models import Organization
from .selectors import membership_for

TENANT_PATH = re.compile(r"^/o/(?P<slug>[^/]+)/")
ADMIN_PATH = "/admin/"
API_PATH = "/api/"
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


class RowLevelSecurityMiddleware:
    """Start every request as its own unit of work with no tenant (tenancy/rls.py).

    The tenant middleware and the API pin the request's organization once they know it;
    until then, and on pages outside any tenant, no tenant row is visible to the database
    except through a named :func:`tenancy.rls.platform` block.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with rls.entry():
            return self.get_response(request)


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
        if organization is None:
            raise Http404("No such organization.")
        with rls.tenant(organization):
            return self._member_request(request, organization)

    def _member_request(self, request, organization):
        membership = membership_for(request.user, organization)
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
            with scopes_disabled(), rls.platform("a platform superuser in the Django admin"):
                return self.get_response(request)
        organization = admin_organization(request) if user.is_authenticated else None
        request.organization = organization
        if organization is not None:
            user._current_organization = organization
        # Without an organization the scope is empty: nothing tenant-owned is visible.
        with rls.tenant(organization), scope(organization=organization):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The slug has done its work; views receive the organization on the request.
        view_kwargs.pop("org_slug", None)
        return None


class RefuseNulMiddleware:
    """Answer 400 to a page request whose path, query or form fields hold a NUL character.

    PostgreSQL refuses text with NUL, so such a value reaching a query was a 500 wherever a
    view read a parameter itself. Forms refuse NUL already; this covers the rest in one
    place. Multipart bodies are left to their forms (reading them here would fix the upload
    handlers before a view can choose its own), and the API answers its documented 422.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PATH) and self._holds_nul(request):
            raise BadRequest("The request holds a NUL character (\\x00), which no field accepts.")
        return self.get_response(request)

    @staticmethod
    def _holds_nul(request) -> bool:
        if "\x00" in request.path:
            return True
        data = [request.GET]
        if request.content_type == "application/x-www-form-urlencoded":
            data.append(request.POST)
        return any("\x00" in key or any("\x00" in v for v in values)
                   for query in data for key, values in query.lists())


class RequestBodyLimitMiddleware:
    """Answer 413 before reading a request body declared larger than its sender may send.

    Django bounds the form fields it keeps in memory (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but
    reads every uploaded file to the end, so a 61 MB upload to the login page was read whole.
    Here the declared ``Content-Length`` is checked first: a visitor who is not signed in
    (login, password reset) may send ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes; a signed-in
    person as much as the largest upload a page takes (``WORK_IMPORT_MAX_UPLOAD_BYTES``)
    plus ``UPLOAD_FORM_ALLOWANCE`` for the form around it. The API is left to its own
    handler (it reads JSON bodies only, bounded by Django, and answers 413 in JSON). The
    reverse proxy in front should refuse bigger bodies before they reach the app (README).
    """

    UPLOAD_FORM_ALLOWANCE = 1024 * 1024
    EXEMPT_PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = self.limit_for(request)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit and not request.path_info.startswith(self.EXEMPT_PREFIX):
            return HttpResponse(
                f"The request body ({declared:,} bytes) is over the limit of {limit:,} bytes.",
                status=413, content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @classmethod
    def limit_for(cls, request) -> int:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.user.is_authenticated:
            limit = max(limit, settings.WORK_IMPORT_MAX_UPLOAD_BYTES + cls.UPLOAD_FORM_ALLOWANCE)
        return limit
