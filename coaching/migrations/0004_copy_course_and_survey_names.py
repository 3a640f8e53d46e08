"""Copy the free-text training and survey names of existing assessments into references
(same rules as opportunities 0003: same organization, case-insensitive title or name, the
right audience; what matches nothing is dropped)."""

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
    Assessment = apps.get_model("coaching", "CoachingAssessment")
    AssessmentCourse = apps.get_model("coaching", "AssessmentCourse")
    CourseItem = apps.get_model("learning", "CourseItem")
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    rows = Assessment.objects.exclude(course_titles=[], coach_survey_name="",
                                      trainee_survey_name="")
    for row in rows.iterator():
        seen = set()
        for title in row.course_titles or []:
            if not isinstance(title, str) or not title.strip():
                continue
            course = _course(CourseItem, row.organization_id, title)
            if course is not None and course.pk not in seen:
                seen.add(course.pk)
                AssessmentCourse.objects.create(organization_id=row.organization_id,
                                                assessment=row, course=course)
        row.coach_survey = _template(SurveyTemplate, row.organization_id,
                                     row.coach_survey_name, "coach_about_trainee")
        row.trainee_survey = _template(SurveyTemplate, row.organization_id,
                                       row.trainee_survey_name, "trainee_about_coach")
        row.save(update_fields=["coach_survey", "trainee_survey"])


def copy_backward(apps, schema_editor):
    Assessment = apps.get_model("coaching", "CoachingAssessment")
    AssessmentCourse = apps.get_model("coaching", "AssessmentCourse")
    for row in Assessment.objects.all().iterator():
        row.course_titles = [
            link.course.title for link in
            AssessmentCourse.objects.filter(assessment=row).select_related("course")
        ]
        row.coach_survey_name = row.coach_survey.name if row.coach_survey_id else ""
        row.trainee_survey_name = row.trainee_survey.name if row.trainee_survey_id else ""
        row.save(update_fields=["course_titles", "coach_survey_name", "trainee_survey_name"])


class Migration(migrations.Migration):

    dependencies = [
        ("coaching", "0003_course_and_survey_links"),
    ]

    operations = [
        migrations.RunPython(copy_forward, copy_backward),
    ]
