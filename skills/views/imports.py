"""The skill inventory upload for skill admins (the browser twin of import_user_skills)."""

from django.contrib import messages
from django.shortcuts import render

from .. import services
from ..forms import ImportForm
from .common import org_permission_required


@org_permission_required("skills.import_user_skills")
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = services.import_user_skills(
            organization=request.organization, csv_text=form.cleaned_data["file"],
            create_missing=form.cleaned_data["create_missing"],
            dry_run=form.cleaned_data["dry_run"], actor=request.user,
        )
        if report.applied:
            messages.success(request, report.summary())
        elif report.ok:
            messages.info(request, report.summary() + " Untick “Dry run” to apply it.")
    return render(request, "skills/import.html", {"form": form, "report": report})
