"""What management commands share: the organization named by ``--org`` and a JSON file
argument, each refused with one sentence (a ``CommandError``) when it cannot be used."""

import json
import sys

from django.core.management.base import CommandError

from .models import Organization


def organization_by_slug(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"No organization with slug “{slug}”.")
    return organization


def read_json_file(path: str):
    """The JSON document at ``path`` ('-' reads standard input)."""
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None
