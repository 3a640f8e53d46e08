"""The HTTP API at ``/api/v1/``: one django-ninja instance every app adds its router to.

Authentication is a per-organization bearer token (``tenancy.ApiToken``, stored hashed).
The token decides the tenant: every operation runs inside that organization's scope, so a
token of one organization can never read or write another's rows. An organization's token
reaches every operation; a member's *personal* token reaches only the operations marked
with :func:`tenancy.api_types.personal_tokens_allowed` (403 elsewhere), and those show it
what its person may see.
"""

from functools import wraps

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.http import HttpRequest
from django_scopes import scope
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import HttpBearer
from pydantic import BaseModel

from tenancy import rls
from tenancy.api_types import Parser, field_errors
from tenancy.errors import DomainError
from tenancy.models import ApiToken
from tenancy.selectors import active_token_for
from tenancy.throttling import (
    TooManyBadTokens,
    check_bad_token_budget,
    count_bad_token,
    document_bad_token_limit,
)


class ApiTokenAuth(HttpBearer):
    openapi_description = (
        "An API token of your organization (Settings → API tokens), or a member's personal "
        "token (My profile) on the operations that say they accept one."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        # An address that sent too many bad tokens gets 429 before its next guess is tried.
        check_bad_token_budget(request)
        api_token = active_token_for(token)
        if api_token is None:
            count_bad_token(request)
            return None
        request.organization = api_token.organization
        return api_token


PERSONAL_TOKEN_REFUSED = (
    "A personal API token cannot use this operation: it reaches only the operations "
    "marked “personal tokens allowed”. Use an organization token (Settings → API tokens)."
)


def personal_token_reach(view_func):
    """Answer 403 to a personal token on an operation not marked as accepting one."""
    if getattr(view_func, "personal_tokens_allowed", False):
        return view_func

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if request.auth.is_personal:
            return api.create_response(request, {"detail": PERSONAL_TOKEN_REFUSED},
                                       status=403)
        return view_func(request, *args, **kwargs)

    return wrapper


def document_personal_token_refusal(schema: dict) -> dict:
    """Add the 403 answer to every operation that takes a token (an operation that answers
    403 for reasons of its own documents it itself)."""
    answer = {
        "description": "Forbidden: a personal token on an operation for organization tokens, "
                       "or an action this token's person may not take.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("security"):
                operation.setdefault("responses", {}).setdefault("403", answer)
    return schema


def tenant_scoped(view_func):
    """Run an operation inside the scope of the authenticated token's organization."""

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        organization = request.auth.organization
        with rls.tenant(organization), scope(organization=organization):
            return view_func(request, *args, **kwargs)

    return wrapper


class CoachdeskAPI(NinjaAPI):
    """NinjaAPI that also publishes request schemas read by hand (see ``extra_schemas``)."""

    extra_schemas: list[type[BaseModel]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_schemas = []

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in self.extra_schemas:
            json_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(json_schema.pop("$defs", {}))
            components[model.__name__] = json_schema
        return document_personal_token_refusal(document_bad_token_limit(schema))


api = CoachdeskAPI(
    title="Coachdesk API",
    version="1",
    description=(
        "Push work items (incidents, cases, calls…) into Coachdesk and read them back. "
        "Authenticate with `Authorization: Bearer <token>`; create tokens under Settings → "
        "API tokens or with `manage.py create_api_token`.\n\n"
        "Two kinds of token: an **organization token** (made by an org admin, for an "
        "integration) reaches every operation and sees the whole organization. A "
        "**personal token** (made by a member under My profile, or with "
        "`create_api_token --user`) acts as that person: it reaches only the operations "
        "whose description says *Personal tokens allowed* and sees there only what the "
        "person may see (an agent: their own released evaluations and their own coaching "
        "assignments); every other operation answers it 403."
    ),
    auth=ApiTokenAuth(),
    urls_namespace="api",
    parser=Parser(),
)
api.add_decorator(tenant_scoped, mode="operation")
api.add_decorator(personal_token_reach, mode="operation")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = api.create_response(
        request,
        {"detail": "Send a valid API token as “Authorization: Bearer <token>”."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="coachdesk"'
    return response


@api.exception_handler(RequestInvalid)
def request_invalid(request, exc):
    """A parameter or body the operation's schema refuses: 422 with the documented body
    (``InvalidOut``: a sentence, then each field and what is wrong with it)."""
    return api.create_response(
        request,
        {"detail": "The request is invalid; nothing was done.",
         "errors": field_errors(exc.errors)},
        status=422,
    )


@api.exception_handler(HttpError)
def http_error(request, exc):
    """ninja's own refusals. A body it cannot parse (not JSON, not UTF-8) is a refused
    request like any other: the documented 422 naming ``body`` (ninja says 400, which no
    operation documents); the rest keep their status and a ``detail``."""
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return api.create_response(request, {
            "detail": "The request is invalid; nothing was done.",
            "errors": [{"index": None, "field": "body",
                        "message": "The body is not valid JSON in UTF-8."}],
        }, status=422)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(DomainError)
def domain_error(request, exc):
    """A service refused (every app's error is a ``DomainError``): 422 with the same body
    as a refused request, the service's sentence as ``detail`` and, when the error names
    a field, that field in ``errors``."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {exc.field: [exc.message]}
    problems = [{"index": None, "field": field, "message": message}
                for field, messages in by_field.items() if field not in (None, NON_FIELD_ERRORS)
                for message in messages]
    return api.create_response(request, {"detail": exc.message, "errors": problems}, status=422)


@api.exception_handler(TooManyBadTokens)
def too_many_bad_tokens(request, exc):
    response = api.create_response(
        request,
        {"detail": "Too many requests with an invalid API token from your address; "
                   f"try again in {exc.retry_after} seconds."},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
def body_too_large(request, exc):
    from django.conf import settings

    return api.create_response(
        request,
        {"detail": f"The request body is over the limit of "
                   f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes; send smaller batches."},
        status=413,
    )


def _add_routers() -> None:
    from routing.api import router as routing_router
    from work.api import router as work_router
    from work.api import schemas_read_by_hand

    # Before work's router: its "/{path:external_id}" would otherwise swallow ".../route".
    api.add_router("/work-items", routing_router, tags=["Routing"])
    api.add_router("/work-items", work_router, tags=["Work items"])
    from work.api import interactions_router

    api.add_router("/interactions", interactions_router, tags=["Interactions"])
    from surveys.api import router as surveys_router

    api.add_router("/survey-responses", surveys_router, tags=["Surveys"])
    from learning.api import router as learning_router

    api.add_router("/learning-tasks", learning_router, tags=["Learning"])
    from coaching.api import router as coaching_router

    api.add_router("/assessments", coaching_router, tags=["Coaching assessments"])
    from coaching.api import assignments_router

    api.add_router("/coaching-assignments", assignments_router, tags=["Coaching assignments"])
    from coaching.api_plans import plans_router

    api.add_router("/coaching-plans", plans_router, tags=["Behaviour coaching"])
    from coaching.api import agents_router

    api.add_router("/agents", agents_router, tags=["Behaviour coaching"])
    from quality.api import evaluations_router, scorecards_router

    api.add_router("/scorecards", scorecards_router, tags=["Quality"])
    api.add_router("/evaluations", evaluations_router, tags=["Quality"])
    from quality.api_calibration import calibration_router

    api.add_router("/calibration-sessions", calibration_router, tags=["Calibration"])
    from skills.api import router as skills_router

    api.add_router("/", skills_router)
    from privacy.api import router as privacy_router

    api.add_router("/access-records", privacy_router, tags=["Privacy"])
    api.extra_schemas.extend(schemas_read_by_hand)


_add_routers()
