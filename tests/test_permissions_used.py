"""Every permission declared with ``rules`` is asked somewhere in the product.

A declared permission that no view, service, selector or template checks is either dead or
a check someone forgot (``coaching.open_assessment_for`` was declared while the service
re-queried memberships by hand). Tests do not count as a use.
"""

import re
from pathlib import Path

import rules
from django.apps import apps
from django.conf import settings
from rules.permissions import permissions

SCANNED_SUFFIXES = (".py", ".html", ".txt")


def _product_files() -> list[Path]:
    """Source and templates of our apps (those at the repository root), the project
    config and the shared templates."""
    base = Path(settings.BASE_DIR)
    roots = [Path(config.path) for config in apps.get_app_configs()
             if Path(config.path).parent == base]
    roots += [base / "config", base / "templates"]
    return sorted(
        path for root in roots for path in root.rglob("*")
        if path.suffix in SCANNED_SUFFIXES and "migrations" not in path.parts
    )


def _uses(name: str, text: str) -> int:
    """Mentions of the permission ``name`` ("app.codename", or ``perms.app.codename`` in a
    template) in ``text``, minus its own ``add_perm`` declaration."""
    app, codename = name.split(".", 1)
    mention = re.compile(
        rf"(?<![\w.]){re.escape(name)}(?!\w)|\bperms\.{re.escape(app)}\.{re.escape(codename)}(?!\w)"
    )
    declaration = re.compile(rf"add_perm\(\s*[\"']{re.escape(name)}[\"']")
    return len(mention.findall(text)) - len(declaration.findall(text))


def unused_permissions() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in _product_files()]
    return sorted(name for name in permissions
                  if not any(_uses(name, text) > 0 for text in texts))


def test_every_declared_permission_is_checked_somewhere():
    assert unused_permissions() == []


def test_a_permission_declared_and_never_checked_is_reported():
    rules.add_perm("tenancy.nobody_asks_this", rules.always_allow)
    try:
        assert unused_permissions() == ["tenancy.nobody_asks_this"]
    finally:
        rules.remove_perm("tenancy.nobody_asks_this")


def test_a_mention_in_a_template_or_a_string_counts_and_the_declaration_does_not():
    assert _uses("skills.decide_review", 'rules.add_perm("skills.decide_review", p)') == 0
    assert _uses("skills.decide_review", 'user.has_perm("skills.decide_review", r)') == 1
    assert _uses("skills.decide_review", "{% if perms.skills.decide_review %}") == 1
    assert _uses("skills.decide_review", '"skills.decide_review_all"') == 0
