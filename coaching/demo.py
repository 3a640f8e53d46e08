"""Demo coaching data (filled in below)."""


def seed_coaching(organization, people, stdout) -> None:
    return None
