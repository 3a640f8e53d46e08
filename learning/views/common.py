"""Helpers shared by the learning views."""

from tenancy.views import org_permission_required, org_url

__all__ = ["org_permission_required", "org_url"]
