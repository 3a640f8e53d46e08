"""The Work list's agent filter is a type-ahead box (issue 22.3: the select offered every agent
of the tenant, 521 options at 500 agents): a link's ``?agent=<id>``, the label a suggestion
fills in, a username or words finding one agent filter the list; suggestions come from the
same page, only the tenant's agents; the pager keeps the filter; constant queries."""

from django_scopes import scopes_disabled

from tenancy.models import User
from work import services


def _world(tenant_a, tenant_b):
    ana = tenant_a.member(roles=["agent"], username="ana", first_name="Ana", last_name="Lee")
    anabel = tenant_a.member(roles=["agent"], username="anabel", first_name="Anabel",
                             last_name="Berg")
    tenant_a.member(roles=["coach"], username="annecoach", first_name="Anne")  # not an agent
    tenant_b.member(roles=["agent"], username="anaother", first_name="Ana", last_name="Other")
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": f"A{i:02d}", "kind": "incident", "state": "new",
             "assigned_to": "ana", "opened_at": f"2025-03-{i + 1:02d}T10:00:00Z"}
            for i in range(3)] + [
            {"external_id": "B", "kind": "call", "state": "new", "assigned_to": "anabel",
             "opened_at": "2025-03-20T10:00:00Z"}])
    return ana, anabel


def _ids(response):
    assert response.status_code == 200
    return [i.external_id for i in response.context["page"].object_list]


def test_work_agent_filter_is_a_search_box_and_old_links_still_filter(login, tenant_a, tenant_b):
    ana, _anabel = _world(tenant_a, tenant_b)
    client = login(tenant_a.member(roles=["coach"]))
    url = tenant_a.url("work/")
    html = client.get(url).content.decode()
    assert '<select name="agent"' not in html
    assert ('<input type="search" name="agent" autocomplete="off" '
            'class="form-control form-control-sm" hx-get="?suggest=agent" '
            'hx-push-url="false" hx-swap="innerHTML" '
            'hx-sync="this:replace" hx-target="#filter-agent-people" '
            'hx-trigger="focus once, input changed delay:250ms" id="filter-agent" '
            'list="filter-agent-people" placeholder="All agents" spellcheck="false">'
            '<datalist id="filter-agent-people"></datalist>') in html
    response = client.get(url, {"agent": ana.pk})  # an older link
    assert _ids(response) == ["A02", "A01", "A00"]
    assert 'value="Ana Lee (ana)"' in response.content.decode()


def test_work_agent_filter_takes_labels_usernames_and_words(login, tenant_a, tenant_b):
    _world(tenant_a, tenant_b)
    client = login(tenant_a.member(roles=["coach"]))
    url = tenant_a.url("work/")
    for typed in ("Ana Lee (ana)", "ana", "ana lee", "berg"):
        expected = ["B"] if typed == "berg" else ["A02", "A01", "A00"]
        assert _ids(client.get(url, {"agent": typed})) == expected, typed
    # several agents or nobody: the error next to the box, the list unfiltered
    response = client.get(url, {"agent": "an"})
    assert _ids(response) == ["B", "A02", "A01", "A00"]
    assert response.context["form"].errors["agent"] == [
        "2 people match “an”: Ana Lee (ana), Anabel Berg (anabel). Type more of the name, "
        "or the username."]
    for nobody in ("annecoach", "anaother"):  # not an agent; another tenant's agent
        response = client.get(url, {"agent": nobody})
        assert response.context["form"].errors["agent"] == [
            f"Nobody you may choose here matches “{nobody}”."]
    with scopes_disabled():
        outsider_id = User.objects.get(username="anaother").pk
    assert _ids(client.get(url, {"agent": outsider_id})) == ["B", "A02", "A01", "A00"]


def test_work_agent_suggestions_are_the_tenants_agents(login, tenant_a, tenant_b):
    _world(tenant_a, tenant_b)
    client = login(tenant_a.member(roles=["coach"]))
    answer = client.get(tenant_a.url("work/"), {"suggest": "agent", "agent": "an"},
                        headers={"HX-Request": "true", "HX-Target": "filter-agent-people"})
    assert answer.content.decode() == ('<option value="Ana Lee (ana)"></option>'
                                       '<option value="Anabel Berg (anabel)"></option>')


def test_work_agent_suggestions_permission_matrix(login, client, tenant_a, tenant_b):
    _world(tenant_a, tenant_b)
    params = {"suggest": "agent", "agent": "an"}
    url = tenant_a.url("work/")
    assert login(tenant_a.member(roles=["coach"])).get(url, params).status_code == 200
    client.logout()
    assert login(tenant_a.member(roles=["agent"])).get(url, params).status_code == 403
    client.logout()
    assert login(tenant_b.member(roles=["org_admin"])).get(url, params).status_code == 404


def test_work_agent_filter_kept_by_the_pager(login, tenant_a, tenant_b):
    ana, _anabel = _world(tenant_a, tenant_b)
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": f"P{i:02d}", "kind": "incident", "state": "new",
             "assigned_to": "ana", "opened_at": "2025-01-01T10:00:00Z"} for i in range(50)])
    client = login(tenant_a.member(roles=["coach"]))
    response = client.get(tenant_a.url("work/"), {"agent": "Ana Lee (ana)"})
    assert 'href="?agent=Ana+Lee+%28ana%29&amp;page=2" rel="next"' in response.content.decode()
    assert len(_ids(client.get(tenant_a.url("work/"), {"agent": "Ana Lee (ana)", "page": 2}))) \
        == 3


def test_work_list_queries_do_not_grow_with_agents(login, tenant_a, tenant_b,
                                                   django_assert_num_queries):
    ana, _anabel = _world(tenant_a, tenant_b)
    client = login(tenant_a.member(roles=["coach"]))
    url = tenant_a.url("work/")
    client.get(url)
    counts = {}
    for params in ({}, {"agent": ana.pk}, {"agent": "ana"}):
        with django_assert_num_queries(99, exact=False) as captured:
            client.get(url, params)
        counts[str(params)] = len(captured.captured_queries)
    for i in range(30):
        tenant_a.member(roles=["agent"], username=f"zed{i:02d}")
    for params in ({}, {"agent": ana.pk}, {"agent": "ana"}):
        with django_assert_num_queries(counts[str(params)]):
            client.get(url, params)
