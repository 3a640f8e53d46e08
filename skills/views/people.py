"""A person's skills: the agent's own "My skills" (with self-review requests) and the same
view of an agent for their coaches and skill admins."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from privacy.access import record_access
from privacy.models import AccessKind

from .. import extensions, selectors, services
from ..forms import ReviewRequestForm
from .common import org_permission_required, org_url


def _history_rows(request, changes):
    rows = []
    for change in changes:
        link = extensions.cause_link(change.cause_type) if change.cause_type else None
        url = None
        if link and link.url_name and change.cause_id:
            url = org_url(request, link.url_name, pk=change.cause_id)
        rows.append({"change": change, "cause_label": link.label if link else "",
                     "cause_url": url})
    return rows


@org_permission_required("skills.view_my_skills")
def my_skills(request):
    services.ensure_level_scale(organization=request.organization)
    can_request = request.user.has_perm("skills.request_review", request.organization)
    form = ReviewRequestForm(request.POST or None, organization=request.organization)
    if request.method == "POST":
        if not can_request:
            raise Http404("Only agents ask for skill reviews.")
        if form.is_valid():
            try:
                review = services.request_skill_review(
                    user=request.user, requested_by=request.user, **form.cleaned_data
                )
            except services.SkillError as error:
                form.add_error("skill" if "skill" in error.message.lower()
                               and "level" not in error.message else None, error.message)
            else:
                messages.success(request, f"Your request for {review.skill.name} at "
                                          f"{review.level.name} went to your coach.")
                return redirect(org_url(request, "skills:my_skills"))
    context = {
        "person": request.user,
        "is_me": True,
        "holdings": selectors.skills_of(request.user),
        "history": _history_rows(request, selectors.history_of(request.user)[:50]),
        "reviews": selectors.reviews_of(request.user),
        "form": form,
        "can_request": can_request,
    }
    return render(request, "skills/person.html", context)


@org_permission_required("skills.view_matrix")
def person_skills(request, user_id: int):
    person = selectors.person_visible_to(
        organization=request.organization, viewer=request.user, user_id=user_id,
    )
    if person is None:
        raise Http404("No such person in your teams.")
    record_access(request, subject=person, kind=AccessKind.SKILLS, obj=person,
                  label="Skills and skill history")
    context = {
        "person": person,
        "is_me": person.pk == request.user.pk,
        "holdings": selectors.skills_of(person),
        "history": _history_rows(request, selectors.history_of(person)[:50]),
        "reviews": selectors.reviews_of(person),
        "can_request": False,
    }
    return render(request, "skills/person.html", context)

