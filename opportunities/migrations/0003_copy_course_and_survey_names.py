"""Copy the free-text courses and survey names of existing opportunities into references:
a course item of the same organization whose title matches case-insensitively (active
first, then the oldest), a survey template of the same organization and the right audience
whose name matches. Names that match nothing are dropped (0004 removes the old columns)."""

from django.db import migrations


def _course(CourseItem, organization_id, title):
    return (
        CourseItem.objects.filter(organization_id=organization_id, title__iexact=title.strip())
        .order_by("-active", "pk").first()
    )


def _template(SurveyTemplate, organization_id, name, audience):
    if not (name or "").strip():
        return None
    return (
        SurveyTemplate.objects.filter(organization_id=organization_id,
                                      name__iexact=name.strip(), audience=audience)
        .order_by("pk").first()
    )


def copy_forward(apps, schema_editor):
    Opportunity = apps.get_model("opportunities", "CoachingOpportunity")
    OpportunityCourse = apps.get_model("opportunities", "OpportunityCourse")
    CourseItem = apps.get_model("learning", "CourseItem")
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    for row in Opportunity.objects.all().iterator():
        seen = set()
        for title in row.course_titles or []:
            if not isinstance(title, str) or not title.strip():
                continue
            course = _course(CourseItem, row.organization_id, title)
            if course is not None and course.pk not in seen:
                seen.add(course.pk)
                OpportunityCourse.objects.create(organization_id=row.organization_id,
                                                 opportunity=row, course=course)
        row.coach_survey = _template(SurveyTemplate, row.organization_id,
                                     row.coach_survey_name, "coach_about_trainee")
        row.trainee_survey = _template(SurveyTemplate, row.organization_id,
                                       row.trainee_survey_name, "trainee_about_coach")
        row.save(update_fields=["coach_survey", "trainee_survey"])


def copy_backward(apps, schema_editor):
    Opportunity = apps.get_model("opportunities", "CoachingOpportunity")
    OpportunityCourse = apps.get_model("opportunities", "OpportunityCourse")
    for row in Opportunity.objects.all().iterator():
        row.course_titles = [
            link.course.title for link in
            OpportunityCourse.objects.filter(opportunity=row).select_related("course")
        ]
        row.coach_survey_name = row.coach_survey.name if row.coach_survey_id else ""
        row.trainee_survey_name = row.trainee_survey.name if row.trainee_survey_id else ""
        row.save(update_fields=["course_titles", "coach_survey_name", "trainee_survey_name"])


class Migration(migrations.Migration):

    dependencies = [
        ("opportunities", "0002_course_and_survey_links"),
    ]

    operations = [
        migrations.RunPython(copy_forward, copy_backward),
    ]
