"""GET /api/v1/skills and /api/v1/user-skills: token auth, tenant isolation, filters."""

from skills.enums import Source
from skills.services import award_skill
from tenancy.services import create_api_token


def token_for(tenant):
    with tenant.scope():
        _token, raw = create_api_token(organization=tenant.org, name="sync")
    return {"Authorization": f"Bearer {raw}"}


def test_skills_requires_a_token(world, client):
    assert client.get("/api/v1/skills").status_code == 401


def test_list_skills_of_the_tokens_tenant_only(world, client):
    response = client.get("/api/v1/skills", headers=token_for(world.tenant))
    assert response.status_code == 200
    assert [(s["name"], s["parent"], s["type"]) for s in response.json()] == [
        ("Empathy", None, "soft"), ("Firewall", "Networking", "technical"),
        ("Networking", None, "technical"), ("Router", "Networking", "technical")]
    response = client.get("/api/v1/skills?type=soft", headers=token_for(world.tenant))
    assert [s["name"] for s in response.json()] == ["Empathy"]
    response = client.get("/api/v1/skills", headers=token_for(world.other))
    assert [s["name"] for s in response.json()] == ["Firewall"]


def test_list_user_skills_with_filters(world, client):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Advanced"),
                    source=Source.MANUAL)
        award_skill(user=world.agent2, skill=world.firewall, level=world.level("Novice"),
                    source=Source.IMPORT)
        award_skill(user=world.agent, skill=world.empathy, level=world.level("Expert"),
                    source=Source.REVIEW)
    headers = token_for(world.tenant)
    rows = client.get("/api/v1/user-skills", headers=headers).json()
    assert [(r["user"], r["skill"], r["level"], r["level_rank"], r["source"]) for r in rows] == [
        ("abe", "Empathy", "Expert", 4, "review"), ("abe", "Firewall", "Advanced", 3, "manual"),
        ("amy", "Firewall", "Novice", 1, "import")]
    rows = client.get("/api/v1/user-skills?user=abe&skill=firewall", headers=headers).json()
    assert [(r["user"], r["skill"]) for r in rows] == [("abe", "Firewall")]
    rows = client.get(f"/api/v1/user-skills?skill={world.firewall.pk}", headers=headers).json()
    assert [r["user"] for r in rows] == ["abe", "amy"]
    # A user of another tenant, or another tenant's skill id: 404, nothing leaks.
    assert client.get("/api/v1/user-skills?user=bob", headers=headers).status_code == 404
    assert client.get(f"/api/v1/user-skills?skill={world.other_skill.pk}",
                      headers=headers).status_code == 404
    other = client.get("/api/v1/user-skills", headers=token_for(world.other)).json()
    assert other == []
