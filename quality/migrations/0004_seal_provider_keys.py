"""The outside scorer's API key was stored in clear in Organization.settings; seal it
(tenancy.sealed) and drop the clear copy. Reversible: unsealing writes it back in clear."""

from django.db import migrations

PURPOSE = "quality.provider.api_key"


def seal_keys(apps, schema_editor):
    from tenancy.sealed import seal

    Organization = apps.get_model("tenancy", "Organization")
    for organization in Organization.objects.all():
        provider = ((organization.settings or {}).get("quality") or {}).get("provider") or {}
        if "api_key" not in provider:
            continue
        plain = provider.pop("api_key") or ""
        provider["api_key_sealed"] = seal(plain, purpose=PURPOSE) if plain else ""
        organization.settings["quality"]["provider"] = provider
        organization.save(update_fields=["settings"])


def unseal_keys(apps, schema_editor):
    from tenancy.sealed import SealError, unseal

    Organization = apps.get_model("tenancy", "Organization")
    for organization in Organization.objects.all():
        provider = ((organization.settings or {}).get("quality") or {}).get("provider") or {}
        if "api_key_sealed" not in provider:
            continue
        sealed = provider.pop("api_key_sealed") or ""
        try:
            provider["api_key"] = unseal(sealed, purpose=PURPOSE) if sealed else ""
        except SealError:
            provider["api_key"] = ""
        organization.settings["quality"]["provider"] = provider
        organization.save(update_fields=["settings"])


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0003_calibration_sessions"),
        ("tenancy", "0007_weekend_may_be_empty"),
    ]

    operations = [migrations.RunPython(seal_keys, unseal_keys)]
