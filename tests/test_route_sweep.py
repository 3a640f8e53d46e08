"""Route sweep: every ``/o/<slug>/…`` URL, filled with tenant A's ids, is 404 for tenant B.

The URL patterns are read from the resolver (recursively through includes), so a later
app's URLs are swept as soon as they are included under ``o/<slug:org_slug>/``. Tenant A
gets one row of every ``TenantModel`` (see tests/sweep_registry.py), all with the primary
key ``SWEEP_PK``; a member of tenant B holding every role then requests each URL:

* on A's address ``/o/<A>/…`` — the middleware must answer 404;
* on B's own address ``/o/<B>/…`` with A's ids and values — the view's scoped lookup
  must answer 404 (only for patterns that take parameters besides the org slug).

Both GET and POST. A 405 is accepted for a method the route never answers (its ``Allow``
header leaves the method out): it says nothing about A's rows.
"""

import datetime
import decimal
import re
import uuid
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import models, transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from django.utils.regex_helper import normalize
from django_scopes import scopes_disabled

from tenancy.enums import Role
from tenancy.models import Membership, Organization, TenantModel, User
from tests import sweep_registry
from tests.factories import OrganizationFactory, TeamFactory, UserFactory
from tests.sweep_registry import SWEEP_PK, SweepContext

TENANT_PREFIX = "o/<slug:org_slug>/"
TENANCY_VIEWS = {
    "tenancy:workspace", "tenancy:overview", "tenancy:my_coaching", "tenancy:settings",
    "tenancy:member_list", "tenancy:member_edit", "tenancy:member_remove",
    "tenancy:api_token_list", "tenancy:api_token_revoke", "tenancy:team_list",
    "tenancy:team_create", "tenancy:team_detail", "tenancy:team_edit", "tenancy:team_delete",
}


# --- the URL patterns ------------------------------------------------------------------


@dataclass(frozen=True)
class TenantRoute:
    pieces: tuple  # the patterns from ``o/<slug:org_slug>/`` down to the view
    view_name: str

    @property
    def route(self) -> str:
        return "".join(str(piece) for piece in self.pieces)

    @property
    def params(self) -> dict[str, object]:
        """Parameter name → converter (``None`` for a regex group)."""
        found = {}
        for piece in self.pieces:
            if isinstance(piece, RoutePattern):
                found.update(piece.converters)
            else:
                found.update(dict.fromkeys(piece.regex.groupindex))
        return found

    @property
    def object_params(self) -> list[str]:
        return [name for name in self.params if name != "org_slug"]

    def path(self, values: dict[str, object]) -> str:
        parts = []
        for piece in self.pieces:
            if isinstance(piece, RoutePattern):
                parts.append(re.sub(
                    r"<(?:[^>:]+:)?([^>]+)>",
                    lambda m, piece=piece: piece.converters[m[1]].to_url(values[m[1]]),
                    str(piece),
                ))
            else:
                template, names = normalize(piece.regex.pattern)[0]
                parts.append(template % {name: str(values[name]) for name in names})
        return "/" + "".join(parts)


def tenant_routes() -> list[TenantRoute]:
    resolver = get_resolver()
    prefixes = [p for p in resolver.url_patterns
                if isinstance(p, URLResolver) and str(p.pattern) == TENANT_PREFIX]
    assert len(prefixes) == 1, f"config.urls must include the tenant URLs once at {TENANT_PREFIX}"
    routes: list[TenantRoute] = []

    def walk(resolver: URLResolver, pieces: tuple, namespaces: tuple) -> None:
        if resolver.namespace:
            namespaces = (*namespaces, resolver.namespace)
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, (*pieces, entry.pattern), namespaces)
            elif isinstance(entry, URLPattern):
                name = entry.name or entry.lookup_str
                routes.append(TenantRoute((*pieces, entry.pattern), ":".join((*namespaces, name))))

    walk(prefixes[0], (prefixes[0].pattern,), ())
    # A route included twice resolves to its first view only; sweep it once.
    first_of_each: dict[str, TenantRoute] = {}
    for route in routes:
        first_of_each.setdefault(route.route, route)
    return list(first_of_each.values())


# --- tenant A with one row of every tenant model ----------------------------------------


class Unbuildable(Exception):
    pass


def tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models()
            if issubclass(m, TenantModel) and not m._meta.proxy and m._meta.managed]


def _tenant_dependencies(model) -> tuple[set, set]:
    """Tenant models this one points at: (required, optional) foreign keys."""
    required, optional = set(), set()
    for field in model._meta.concrete_fields:
        target = field.related_model if field.is_relation else None
        if target is None or target is model or not issubclass(target, TenantModel):
            continue
        (optional if field.null else required).add(target)
    return required, optional


def build_order(models_: list) -> list:
    """Dependencies first; optional foreign keys are honoured unless they form a cycle."""
    remaining, ordered = list(models_), []
    while remaining:
        for strict in (True, False):
            ready = []
            for model in remaining:
                required, optional = _tenant_dependencies(model)
                waiting = (required | optional) if strict else required
                if not (waiting & set(remaining)) - {model}:
                    ready.append(model)
            if ready:
                break
        if not ready:  # a cycle of required foreign keys: build what we can, report the rest
            ready = remaining[:1]
        ordered.extend(ready)
        remaining = [m for m in remaining if m not in ready]
    return ordered


def _plain_value(field):
    if field.choices:
        return field.flatchoices[0][0]
    if isinstance(field, models.EmailField):
        return "sweep@example.com"
    if isinstance(field, models.URLField):
        return "https://example.com/sweep"
    if isinstance(field, models.GenericIPAddressField):
        return "127.0.0.1"
    if isinstance(field, models.FileField):
        return "sweep.txt"
    if isinstance(field, models.CharField | models.TextField):
        value = f"sweep-{field.name}".replace("_", "-")
        return value[: field.max_length] if field.max_length else value
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.localdate()
    if isinstance(field, models.TimeField):
        return datetime.time(12, 0)
    if isinstance(field, models.DurationField):
        return datetime.timedelta(days=1)
    if isinstance(field, models.DecimalField):
        return decimal.Decimal("1")
    if isinstance(field, models.FloatField):
        return 1.0
    if isinstance(field, models.IntegerField):
        return 1
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.BinaryField):
        return b""
    raise Unbuildable(f"no plain value for {type(field).__name__} {field.name!r}")


def build_generic(model, ctx: SweepContext):
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            if isinstance(field, models.UUIDField):
                values[field.attname] = uuid.UUID(int=ctx.pk)
            elif isinstance(field, models.IntegerField | models.AutoField):
                values[field.attname] = ctx.pk
            else:
                raise Unbuildable(f"primary key {field.name!r} is a {type(field).__name__}")
        elif field.is_relation:
            target = field.related_model
            if target is Organization:
                values[field.name] = ctx.org
            elif target is User:
                values[field.name] = ctx.user
            elif target in ctx.rows:
                values[field.name] = ctx.rows[target]
            elif field.null:
                values[field.name] = None
            elif issubclass(target, TenantModel):
                raise Unbuildable(f"{field.name!r} needs a {target._meta.label} row first")
            else:
                existing = target._base_manager.order_by("pk").first()
                if existing is None:
                    raise Unbuildable(f"{field.name!r} needs a {target._meta.label} row")
                values[field.name] = existing
        elif (field.has_default() or field.null or getattr(field, "auto_now", False)
              or getattr(field, "auto_now_add", False)):
            continue
        else:
            values[field.attname] = _plain_value(field)
    row = model(**values)
    row.save(force_insert=True)
    return row


def build_tenant_a(ctx: SweepContext) -> list[str]:
    """Give tenant A one row of every tenant model; return what could not be built."""
    problems = []
    for model in build_order(tenant_models()):
        factory = sweep_registry.FACTORIES.get(model._meta.label_lower)
        try:
            with transaction.atomic():
                row = factory(ctx) if factory else build_generic(model, ctx)
        except Exception as error:  # reported below with the model and the way out
            how = "its factory" if factory else "the generic builder"
            problems.append(f"{model._meta.label}: {how} failed: {type(error).__name__}: {error}")
            continue
        if row.pk != ctx.pk and row.pk != uuid.UUID(int=ctx.pk):
            problems.append(f"{model._meta.label}: its factory must create pk=ctx.pk")
        ctx.rows[model] = row
    return problems


@dataclass
class Sweep:
    ctx: SweepContext
    org_b: Organization
    user_b: User


@pytest.fixture
def sweep(db) -> Sweep:
    with scopes_disabled():
        org_a = Organization.objects.create(pk=SWEEP_PK, name="Sweep A", slug="sweep-a")
        user_a = UserFactory(pk=SWEEP_PK, username="sweep-a-member")
        ctx = SweepContext(org=org_a, user=user_a)
        problems = build_tenant_a(ctx)
        if problems:
            pytest.fail(
                "The route sweep could not give tenant A a row of these tenant models; add a "
                "factory line to tests/sweep_registry.py:\n  " + "\n  ".join(problems),
                pytrace=False,
            )
        org_b = OrganizationFactory(slug="sweep-b", name="Sweep B")
        user_b = UserFactory(username="sweep-b-member")
        membership = Membership(organization=org_b, user=user_b)
        membership.set_roles(list(Role))
        membership.save()
        TeamFactory(organization=org_b, name="Sweep B team", manager=user_b)
    return Sweep(ctx, org_b, user_b)


# --- filling parameters ----------------------------------------------------------------


class Unfillable(Exception):
    pass


def _field_value(ctx: SweepContext, name: str):
    """The value of a field called ``name`` on one of A's rows (``skill_slug``: Skill.slug)."""
    candidates = [(None, name)]
    if "_" in name:
        prefix, _, rest = name.rpartition("_")
        candidates.insert(0, (prefix.replace("_", ""), rest))
    for model_name, field_name in candidates:
        for model, row in ctx.rows.items():
            if model_name and model._meta.model_name != model_name:
                continue
            try:
                field = model._meta.get_field(field_name)
            except Exception:  # noqa: S112 — not this model
                continue
            if field.concrete and not field.is_relation:
                value = getattr(row, field.attname)
                if value not in (None, ""):
                    return value
    raise Unfillable(name)


def fill(route: TenantRoute, ctx: SweepContext, org_slug: str) -> dict[str, object]:
    values = {"org_slug": org_slug}
    for name, converter in route.params.items():
        if name == "org_slug":
            continue
        registered = sweep_registry.param_value(route.view_name, name)
        if registered is not None:
            values[name] = registered(ctx)
        elif isinstance(converter, IntConverter):
            values[name] = ctx.pk
        elif isinstance(converter, UUIDConverter):
            try:
                values[name] = _field_value(ctx, name)
            except Unfillable:
                values[name] = uuid.UUID(int=ctx.pk)
        else:
            values[name] = _field_value(ctx, name)
    return values


def build_url(route: TenantRoute, ctx: SweepContext, org_slug: str) -> str:
    """The URL of ``route`` with A's values; it must resolve back to the same route."""
    try:
        url = route.path(fill(route, ctx, org_slug))
    except Unfillable as missing:
        raise Unfillable(
            f"{route.route} ({route.view_name}): no value for parameter {missing}"
        ) from None
    match = resolve(url)
    if match.route != route.route:
        raise Unfillable(f"{route.route} ({route.view_name}): {url} resolves to {match.route}")
    return url


def refused(response, method: str) -> bool:
    if response.status_code == 404:
        return True
    allowed = {m.strip() for m in response.get("Allow", "").split(",") if m.strip()}
    return response.status_code == 405 and method.upper() not in allowed


# --- the tests -------------------------------------------------------------------------


def test_route_sweep_finds_tenancy_routes_through_includes():
    view_names = {route.view_name for route in tenant_routes()}

    assert view_names >= TENANCY_VIEWS


def test_route_sweep_fills_every_parameter_of_every_tenant_route(sweep):
    unfilled = []
    for route in tenant_routes():
        try:
            build_url(route, sweep.ctx, "sweep-b")
        except Unfillable as error:
            unfilled.append(str(error))

    assert not unfilled, (
        "Parameters the route sweep could not fill from tenant A's rows (name a field after "
        "the parameter, or add param(...) to tests/sweep_registry.py):\n  "
        + "\n  ".join(unfilled)
    )


def test_route_sweep_every_tenant_url_is_404_for_a_member_of_another_tenant(sweep, client):
    routes = tenant_routes()
    client.raise_request_exception = False
    client.force_login(sweep.user_b)
    leaks, unfilled, requests = [], [], 0
    for route in routes:
        slugs = ["sweep-a", "sweep-b"] if route.object_params else ["sweep-a"]
        for slug in slugs:
            try:
                url = build_url(route, sweep.ctx, slug)
            except Unfillable as error:
                unfilled.append(str(error))
                break
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                requests += 1
                if not refused(response, method):
                    leaks.append(f"{method.upper()} {url} ({route.view_name}) → "
                                 f"{response.status_code}")

    assert not unfilled, "Unfilled parameters:\n  " + "\n  ".join(unfilled)
    assert not leaks, (
        "A member of tenant B reached tenant A's data (expected 404):\n  " + "\n  ".join(leaks)
    )
    assert requests >= 2 * len(routes)


def test_route_sweep_ids_reach_tenant_a_rows_for_its_own_member(sweep, client):
    """The control: the same URLs work for A's member, so the 404s above mean something."""
    client.raise_request_exception = False
    client.force_login(sweep.ctx.user)
    misses = []
    for route in tenant_routes():
        if route.view_name in sweep_registry.OWNER_NOT_FOUND:
            continue
        url = build_url(route, sweep.ctx, "sweep-a")
        response = client.get(url)
        if response.status_code == 404 or response.status_code >= 500:
            misses.append(f"GET {url} ({route.view_name}) → {response.status_code}")

    assert not misses, (
        "Tenant A's own member did not reach these pages with A's ids; the sweep's values "
        "miss the rows the views look up (fix the values, or owner_not_found(...) in "
        "tests/sweep_registry.py with the reason):\n  " + "\n  ".join(misses)
    )
