"""The one extension mechanism: :class:`tenancy.extensions.Registry`, and where the apps
declare their extension points."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tenancy.extensions import Registry

ROOT = Path(settings.BASE_DIR)
APPS = ["tenancy", "work", "skills", "learning", "surveys", "quality", "opportunities",
        "routing", "coaching"]


def first(value):
    return f"first {value}"


def second(value):
    return f"second {value}"


def test_registry_keeps_registration_order_and_takes_the_decorator_form():
    points = Registry("test.points")
    points.register("b.second", second)

    @points.register("a.first")
    def decorated(value):
        return f"decorated {value}"

    assert points.items() == [("b.second", second), ("a.first", decorated)]
    assert [fn("x") for fn in points] == ["second x", "decorated x"]
    assert (len(points), "a.first" in points, "c.none" in points) == (2, True, False)
    assert points.get("a.first") is decorated
    assert points.get("c.none") is None


def test_registry_registering_a_key_again_is_a_no_op_with_the_same_value_refused_with_another():
    points = Registry("test.points")
    points.register("app.hook", first)
    assert points.register("app.hook", first) is first
    with pytest.raises(ImproperlyConfigured) as error:
        points.register("app.hook", second)

    assert str(error.value).startswith(
        "test.points: 'app.hook' is already registered (<function first at ")
    assert str(error.value).endswith("unregister it first to replace it.")
    assert points.items() == [("app.hook", first)]


@pytest.mark.parametrize("key", ["", "x" * 101, None])
def test_registry_refuses_a_key_that_is_empty_too_long_or_not_text(key):
    points = Registry("test.points")
    with pytest.raises(ImproperlyConfigured) as error:
        points.register(key, first)

    assert str(error.value) == (
        "test.points: a key is 1–100 characters, such as 'app.what_it_does'.")
    assert len(points) == 0


def test_registry_unregister_and_replaced_restore_what_was_registered():
    points = Registry("test.points")
    points.register("app.first", first)
    points.unregister("app.missing")  # nothing to remove: no error

    with points.replaced({"test.second": second}) as inside:
        assert inside is points
        assert points.items() == [("test.second", second)]
        points.register("test.third", first)
    assert points.items() == [("app.first", first)]

    with points.replaced():
        assert points.items() == []
    points.unregister("app.first")
    assert points.items() == []


def test_registry_one_is_the_single_provider_or_none_and_refuses_two():
    points = Registry("test.provider")
    assert points.one() is None
    points.register("app.provider", first)
    assert points.one() is first
    points.register("other.provider", second)
    with pytest.raises(ImproperlyConfigured) as error:
        points.one()

    assert str(error.value) == (
        "test.provider takes one provider; registered: app.provider, other.provider.")


def _registries(path: Path) -> list[tuple[str, str]]:
    """(variable, name given) of every module-level ``X = Registry("…")`` in a file."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Call) \
                and getattr(node.value.func, "id", "") == "Registry":
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            found.append((target.id, node.value.args[0].value))
    return found


def test_extension_points_are_declared_only_in_each_apps_extensions_module_named_after_it():
    declared = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            registries = _registries(path)
            relative = str(path.relative_to(ROOT))
            if registries:
                assert relative == f"{app}/extensions.py", relative
                declared[app] = registries
    for app, registries in declared.items():
        assert all(name == f"{app}.{variable}" for variable, name in registries), registries
    assert {app: [v for v, _ in r] for app, r in declared.items()} == {
        "tenancy": ["navigation_entries", "summary_cards", "my_coaching_sections",
                    "demo_seeders"],
        "work": ["after_work_event_committed", "skill_catalog", "predicted_skills",
                 "work_item_panels", "work_item_writes"],
        "skills": ["skill_overview_sections", "skill_matrix_markers", "history_causes"],
        "surveys": ["after_survey_completed_committed"],
        "opportunities": ["match_links"],
        "learning": ["task_origins"],
        "quality": ["evaluation_actions", "dashboard_cards"],
    }


def test_the_registered_extensions_of_the_installed_apps():
    from learning.extensions import task_origins
    from opportunities.extensions import match_links
    from quality.extensions import dashboard_cards, evaluation_actions
    from skills.extensions import history_causes, skill_matrix_markers, skill_overview_sections
    from surveys.extensions import after_survey_completed_committed
    from tenancy.extensions import demo_seeders, summary_cards
    from work.extensions import (
        handlers,
        predicted_skills,
        skill_catalog,
        work_item_panels,
        work_item_writes,
    )

    assert [name for name, _ in handlers()] == [
        "coaching.open_assessments", "quality.autoscore", "routing.auto_assign",
        "skills.recommend", "work.record_processing"]
    assert [key for key, _ in demo_seeders.items()] == [
        "work", "skills", "learning", "surveys", "quality", "routing", "coaching",
        "coaching_quality", "coaching_monitor", "coaching_plans", "privacy_access"]
    assert [key for key, _ in summary_cards.items()] == [
        "skills", "learning", "surveys", "quality", "coaching", "coaching_assignments"]
    assert [key for key, _ in after_survey_completed_committed.items()] == [
        "coaching.rating_from_coach_survey"]
    assert [key for key, _ in skill_overview_sections.items()] == [
        "learning_pending_users", "learning_course_items"]
    assert [key for key, _ in skill_matrix_markers.items()] == ["recommendations"]
    assert sorted(key for key, _ in history_causes.items()) == [
        "learningtask", "skillrecommendation", "skillreview"]
    assert [key for key, _ in work_item_panels.items()] == ["routing.suggested_agents"]
    assert [key for key, _ in work_item_writes.items()] == ["routing.agent_state"]
    assert [key for key, _ in predicted_skills.items()] == ["skills.recommender"]
    assert [key for key, _ in skill_catalog.items()] == ["skills"]
    assert [key for key, _ in task_origins.items()] == ["coaching.assessment"]
    assert [key for key, _ in match_links.items()] == ["coaching.assessment"]
    assert [key for key, _ in evaluation_actions.items()] == ["coaching.mark_for_coaching"]
    assert [key for key, _ in dashboard_cards.items()] == [
        "coaching.agents_in_coaching", "coaching.center_1_score", "coaching.center_2_handle",
        "coaching.center_3_interactions", "coaching.center_4_recent_advice"]

    from tenancy.extensions import my_coaching_sections

    assert [key for key, _ in my_coaching_sections.items()] == [
        "quality.review", "coaching.plans", "privacy.access"]
