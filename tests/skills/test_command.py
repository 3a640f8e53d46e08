"""manage.py import_user_skills: dry run, errors by line (nothing kept), create-missing."""

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from skills.models import Skill, UserSkill


def test_import_user_skills_command(world, tmp_path, capsys):
    path = tmp_path / "inventory.csv"
    path.write_text("user,skill,level,parent,category\nabe,Firewall,Expert,,\n"
                    "ann,BGP,Advanced,Networking,Infrastructure\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_user_skills", str(path), "--org", "alpha")
    assert "inventory.csv:3: No skill is named “BGP”" in capsys.readouterr().err
    call_command("import_user_skills", str(path), "--org", "alpha", "--create-missing",
                 "--dry-run")
    assert capsys.readouterr().out.startswith("Would import 2 lines: 2 skills added")
    with scopes_disabled():
        assert not UserSkill.objects.exists()
        assert not Skill.objects.filter(name="BGP").exists()
    call_command("import_user_skills", str(path), "--org", "alpha", "--create-missing")
    with scopes_disabled():
        assert sorted(UserSkill.objects.values_list("user__username", "skill__name",
                                                    "level__name", "source")) == [
            ("abe", "Firewall", "Expert", "import"), ("ann", "BGP", "Advanced", "import")]
    with pytest.raises(CommandError, match="No organization has the slug “nope”"):
        call_command("import_user_skills", str(path), "--org", "nope")
