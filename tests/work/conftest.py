"""Fixtures for the work tests: API tokens and a JSON client for the API."""

import json

import pytest
from django_scopes import scopes_disabled

from tenancy.services import create_api_token


def make_token(*, tenant, name: str = "ITSM feed") -> str:
    with scopes_disabled():
        _token, raw = create_api_token(organization=tenant.org, name=name)
    return raw


class ApiClient:
    """The Django test client with a bearer token and JSON bodies."""

    def __init__(self, *, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, path: str, payload=None, *, body: bytes | str | None = None):
        data = body if body is not None else json.dumps(payload, default=str)
        return self.client.post(f"/api/v1/{path}", data=data, content_type="application/json",
                                headers=self.headers)

    def get(self, path: str, params=None):
        return self.client.get(f"/api/v1/{path}", params or {}, headers=self.headers)


@pytest.fixture
def token_a(tenant_a):
    return make_token(tenant=tenant_a)


@pytest.fixture
def api_a(client, token_a):
    return ApiClient(client=client, token=token_a)


@pytest.fixture
def api_b(client, tenant_b):
    return ApiClient(client=client, token=make_token(tenant=tenant_b))


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded import files go to a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT
