"""Workspace shell, organization settings, members and invitations, teams, API tokens, and
each member's profile (with their personal API tokens)."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_scopes import scope

from . import navigation, rls, selectors, services
from .errors import add_service_error
from .forms import (
    AboutForm,
    ApiTokenForm,
    InvitationSignupForm,
    InviteForm,
    MemberRolesForm,
    OrganizationSettingsForm,
    TeamForm,
)
from .middleware import CURRENT_ORG_SESSION_KEY
from .models import ApiToken, Invitation, Membership, Team
from .people import suggestions
from .pseudonyms import peer_names, pseudonymises_peers


def org_permission_required(permission: str):
    """Require a permission in the current organization (membership is already checked)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(permission, request.organization):
                raise PermissionDenied("Your roles in this organization do not allow this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def org_url(request, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": request.organization.slug, **kwargs})


@login_required
def home(request):
    """Send a signed-in user to the organization they used last, or their first one."""
    memberships = list(selectors.memberships_of_user(request.user))
    if not memberships:
        return render(request, "tenancy/no_organization.html", status=200)
    current_id = request.session.get(CURRENT_ORG_SESSION_KEY)
    chosen = next((m for m in memberships if m.organization_id == current_id), memberships[0])
    return redirect("tenancy:workspace", org_slug=chosen.organization.slug)


def workspace(request):
    """Managers land on the first page of their workspace (the coaching overview for
    coaches and admins), everyone else on My coaching."""
    if request.membership.is_manager:
        landing = navigation.landing_url(request, "manager")
        if landing:
            return redirect(landing)
    return redirect(org_url(request, "tenancy:my_coaching"))


@org_permission_required("tenancy.view_manager_workspace")
def overview(request):
    organization = request.organization
    counts = selectors.member_counts(organization)
    teams = list(selectors.teams_for_settings(organization))
    mine = set(selectors.teams_coached_by(organization, request.user).values_list("pk", flat=True))
    context = {
        "member_count": counts["members"],
        "agent_count": counts["agents"],
        "coach_count": counts["coaches"],
        "teams": teams,
        "my_teams": [t for t in teams if t.pk in mine],
    }
    return render(request, "tenancy/overview.html", context)


@org_permission_required("tenancy.view_agent_workspace")
def my_coaching(request):
    teams = (
        Team.objects.filter(members=request.user)
        .select_related("manager")
        .prefetch_related("additional_managers")
    )
    context = {"my_teams": teams, "summaries": navigation.summaries_for(request),
               "sections": navigation.sections_for(request)}
    return render(request, "tenancy/my_coaching.html", context)


@org_permission_required("tenancy.manage_organization")
def settings_view(request):
    organization = request.organization
    form = OrganizationSettingsForm(
        request.POST or None,
        initial={
            "name": organization.name,
            "timezone": organization.timezone,
            "weekend_days": organization.weekend_days,
            "learn_team_membership": selectors.learns_team_membership(organization),
            "pseudonymise_peers": pseudonymises_peers(organization),
        },
    )
    if request.method == "POST" and form.is_valid():
        services.update_organization(organization=organization, **form.cleaned_data)
        messages.success(request, "Organization settings saved.")
        return redirect(org_url(request, "tenancy:settings"))
    return render(request, "tenancy/settings.html", {"form": form})


@org_permission_required("tenancy.manage_organization")
def member_list(request):
    """Members, pending invitations, and the form that invites someone new.

    Whether an account with the address exists elsewhere never shows: inviting answers the
    same for any address that is not already a member's.
    """
    organization = request.organization
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invite_member(
                organization=organization, email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"], invited_by=request.user,
            )
        except services.TenancyError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, f"Invitation sent to {invitation.email}. They join {organization.name} "
                         "when they accept it.",
            )
            return redirect(org_url(request, "tenancy:member_list"))
    context = {
        "memberships": selectors.organization_members(organization),
        "invitations": selectors.pending_invitations(organization),
        "form": form,
    }
    return render(request, "tenancy/member_list.html", context)


@require_POST
@org_permission_required("tenancy.manage_organization")
def invitation_resend(request, pk: int):
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        invitation = services.resend_invitation(invitation=invitation, sent_by=request.user)
    except services.TenancyError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation sent again to {invitation.email}; the earlier "
                                  "link no longer works.")
    return redirect(org_url(request, "tenancy:member_list"))


@require_POST
@org_permission_required("tenancy.manage_organization")
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        services.revoke_invitation(invitation=invitation)
    except services.TenancyError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation of {invitation.email} withdrawn; its link no "
                                  "longer works.")
    return redirect(org_url(request, "tenancy:member_list"))


def invitation_accept(request, token: str):
    """The page behind an invitation link (outside any tenant: the person is not a member).

    Signed in: accept (only with the invited address). Signed out: sign in and come back
    here, or create an account from the invitation.
    """
    try:
        invitation = services.open_invitation(token=token)
    except services.InvitationLinkError as error:
        return render(request, "tenancy/invitation_invalid.html",
                      {"message": error.messages[0]}, status=410)
    with rls.tenant(invitation.organization):
        return _answer_invitation(request, invitation)


def _answer_invitation(request, invitation):
    organization = invitation.organization
    context = {"invitation": invitation, "organization": organization}
    if not request.user.is_authenticated:
        form = InvitationSignupForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                with scope(organization=organization):
                    user = services.accept_invitation_with_new_account(
                        invitation=invitation, username=form.cleaned_data["username"],
                        password=form.cleaned_data["password"],
                        first_name=form.cleaned_data["first_name"],
                        last_name=form.cleaned_data["last_name"],
                    )
            except services.TenancyError as error:
                add_service_error(form, error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to {organization.name}.")
                return redirect("tenancy:workspace", org_slug=organization.slug)
        login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"
        context.update(form=form, login_url=login_url)
        return render(request, "tenancy/invitation_accept.html", context)
    refusal = None
    if request.method == "POST":
        try:
            with scope(organization=organization):
                services.accept_invitation(invitation=invitation, user=request.user)
        except services.TenancyError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, f"You joined {organization.name}.")
            return redirect("tenancy:workspace", org_slug=organization.slug)
    else:
        try:
            services.validate_invitee(invitation=invitation, user=request.user)
        except services.TenancyError as error:
            refusal = " ".join(error.messages)
    context["refusal"] = refusal
    return render(request, "tenancy/invitation_accept.html", context,
                  status=403 if refusal else 200)


@org_permission_required("tenancy.manage_organization")
def member_edit(request, pk: int):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    form = MemberRolesForm(request.POST or None, initial={"roles": sorted(membership.roles)})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_member_roles(membership=membership, roles=form.cleaned_data["roles"])
        except services.TenancyError as error:
            form.add_error("roles", error.messages)
        else:
            saved = f"Roles of {membership.user} saved."
            if membership.teams_no_longer_managed:
                saved += (f" Without the coach or organization admin role they no longer "
                          f"manage {', '.join(membership.teams_no_longer_managed)}.")
            messages.success(request, saved)
            return redirect(org_url(request, "tenancy:member_list"))
    return render(request, "tenancy/member_edit.html", {"membership": membership, "form": form})


@require_POST
@org_permission_required("tenancy.manage_organization")
def member_remove(request, pk: int):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    try:
        services.remove_member(membership=membership)
    except services.TenancyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{membership.user} no longer belongs to this organization.")
    return redirect(org_url(request, "tenancy:member_list"))


@org_permission_required("tenancy.view_manager_workspace")
def team_list(request):
    teams = selectors.teams_for_settings(request.organization)
    can_edit = request.user.has_perm("tenancy.manage_organization", request.organization)
    return render(request, "tenancy/team_list.html", {"teams": teams, "can_edit": can_edit})


TEAM_MEMBERS_PAGE = 50


@org_permission_required("tenancy.view_manager_workspace")
def team_detail(request, pk: int):
    """A team and its members, :data:`TEAM_MEMBERS_PAGE` a page with the shared pager (issue
    22.3: every member was listed), by username; where peers are pseudonyms, by what is
    shown of them (sorted in Python before paging, as the skill matrix does)."""
    team = get_object_or_404(
        Team.objects.select_related("manager").prefetch_related("additional_managers"), pk=pk,
    )
    can_edit = request.user.has_perm("tenancy.manage_organization", request.organization)
    names = peer_names(request)
    members = team.members.order_by("username", "pk")
    if names.active:  # pseudonyms are not in the database: every member, few columns
        members = names.sorted(members.only("pk", "username", "first_name", "last_name"))
    page = Paginator(members, TEAM_MEMBERS_PAGE).get_page(request.GET.get("page"))
    return render(request, "tenancy/team_detail.html",
                  {"team": team, "page": page, "can_edit": can_edit})


@org_permission_required("tenancy.manage_organization")
def team_edit(request, pk: int | None = None):
    team = get_object_or_404(Team, pk=pk) if pk is not None else None
    initial = {}
    if team is not None:
        initial = {
            "name": team.name, "description": team.description, "manager": team.manager,
            "members": list(team.members.all()),
            "additional_managers": list(team.additional_managers.all()),
        }
    form = TeamForm(request.POST or None, organization=request.organization, initial=initial)
    if (answer := suggestions(request, form)) is not None:  # the people boxes' type-ahead
        return answer
    if request.method == "POST" and form.is_valid():
        try:
            team = services.save_team(organization=request.organization, team=team,
                                      **form.cleaned_data)
        except services.TenancyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect(org_url(request, "tenancy:team_detail", pk=team.pk))
    return render(request, "tenancy/team_edit.html", {"team": team, "form": form})


@require_POST
@org_permission_required("tenancy.manage_organization")
def team_delete(request, pk: int):
    team = get_object_or_404(Team, pk=pk)
    services.delete_team(team=team)
    messages.success(request, f"Team “{team.name}” deleted.")
    return redirect(org_url(request, "tenancy:team_list"))


@org_permission_required("tenancy.manage_organization")
def api_token_list(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        token, new_key = services.create_api_token(
            organization=request.organization, name=form.cleaned_data["name"],
            created_by=request.user,
        )
        form = ApiTokenForm()
        messages.success(request, f"Token “{token.name}” created. Copy it now: it is shown once.")
    context = {
        "tokens": selectors.api_tokens(request.organization),
        "form": form,
        "new_key": new_key,
    }
    return render(request, "tenancy/api_token_list.html", context)


@require_POST
@org_permission_required("tenancy.manage_organization")
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    services.revoke_api_token(token=token)
    messages.success(request, f"Token “{token.name}” revoked; requests with it now get 401.")
    return redirect(org_url(request, "tenancy:api_token_list"))


# --- my profile: who I am here, and my personal API tokens -------------------------------


@org_permission_required("tenancy.view_agent_workspace")
def profile(request):
    """The member's roles and teams here, and their personal API tokens: create one (its
    key is shown once) or revoke one. A personal token acts as this member in the API."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = services.create_api_token(
                organization=request.organization, name=form.cleaned_data["name"],
                created_by=request.user, user=request.user,
            )
        except services.TenancyError as error:
            add_service_error(form, error)
        else:
            form = ApiTokenForm()
            messages.success(request, f"Personal token “{token.name}” created. Copy it now: "
                                      "it is shown once.")
    context = {
        "tokens": selectors.personal_tokens(request.organization, request.user),
        "teams": selectors.teams_of_member(request.organization, request.user),
        "form": form,
        "new_key": new_key,
        "about_form": AboutForm(initial={"about": request.membership.about}),
    }
    return render(request, "tenancy/profile.html", context)


@require_POST
@org_permission_required("tenancy.view_agent_workspace")
def profile_about(request):
    """Save the member's "About me" text (shown to their managers)."""
    form = AboutForm(request.POST)
    if form.is_valid():
        try:
            services.update_about(organization=request.organization, user=request.user,
                                  about=form.cleaned_data["about"])
        except services.TenancyError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Saved what your managers see about you.")
            return redirect(org_url(request, "tenancy:profile"))
    context = {
        "tokens": selectors.personal_tokens(request.organization, request.user),
        "teams": selectors.teams_of_member(request.organization, request.user),
        "form": ApiTokenForm(), "new_key": None, "about_form": form,
    }
    return render(request, "tenancy/profile.html", context, status=400)


@require_POST
@org_permission_required("tenancy.view_agent_workspace")
def profile_token_revoke(request, pk: int):
    """Revoke one of the member's own personal tokens (anyone else's is not found)."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token)
    messages.success(request, f"Token “{token.name}” revoked; requests with it now get 401.")
    return redirect(org_url(request, "tenancy:profile"))
