"""A routing refusal reaches the API client through the one DomainError handler."""

from skills.services import save_skill

VPN_ITEM = {"external_id": "INC1", "kind": "incident", "team": "Desk",
            "skills": [{"name": "VPN", "minimum_level": 2}]}


def test_a_refused_route_answers_422_with_the_api_error_body(rw):
    rw.push(VPN_ITEM)
    with rw.tenant.scope():
        save_skill(organization=rw.tenant.org, skill=rw.vpn, name="VPN", active=False)

    response = rw.route("INC1", assign=True)

    assert response.status_code == 422
    assert response.json() == {
        "detail": "INC1 requires retired skills: VPN. Reactivate them or change the item's "
                  "requirements.",
        "errors": [],
    }
