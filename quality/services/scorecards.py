"""Scorecards: creating, editing (as versions), archiving, and the JSON form that
``import_scorecards`` / ``export_scorecards`` and the export download use.

A scorecard row is one version. Editing the current version of a scorecard that has
evaluations (any kind, any state) creates the next version — a copy with the changes,
``version + 1``, ``is_current`` moved — so old evaluations keep the attributes they were
answered against; a version nobody evaluated yet is edited in place. Attribute keys stay
stable across versions (a kept attribute keeps its key, even when renamed), so dashboards,
agreement and learned scorers join across versions.

Every write locks the organization row: the one-default and one-per-queue rules are
checked and moved under that lock, so two concurrent saves cannot both take the default.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from tenancy.errors import ImportRefused
from tenancy.models import Organization, User
from tenancy.validation import LONG_TEXT

from ..enums import AnswerType
from ..models import Attribute, Evaluation, Scorecard
from ..scoring.rule_specs import validate_auto
from .errors import QualityError

MAX_ATTRIBUTES = 100
MAX_WEIGHT = 1000
MAX_SCALE = 100

SCORECARD_KEYS = ("name", "default", "queue", "description", "attributes")
ATTRIBUTE_KEYS = ("name", "section", "answer", "weight", "critical", "na_allowed",
                  "disputable", "guidance", "auto")


class ScorecardInvalid(QualityError):
    """A scorecard (or one of its attributes) is not valid. ``detail`` is the sentence
    without its subject; ``attribute`` the 1-based row it is about (or None), so the
    import can name "Scorecard 1 (…), attribute 3 (…)" and a form the row and field."""

    def __init__(self, detail: str, *, attribute: int | None = None,
                 attribute_name: str = "", field: str | None = None):
        self.detail = detail
        self.attribute = attribute
        self.attribute_name = attribute_name
        if attribute is not None:
            message = f"Attribute {attribute} (“{attribute_name}”): {detail}"
        else:
            message = detail[:1].upper() + detail[1:]
        super().__init__(message, field=field)


@dataclass(frozen=True, kw_only=True)
class AttributeData:
    """One attribute as a caller gives it. ``answer`` is ``"yes_no"`` or ``"scale:N"``;
    ``auto`` a rule (see :mod:`quality.scoring.rule_specs`) or None. ``key`` keeps the
    attribute of the previous version it continues (empty: matched by name, else new)."""

    name: str
    section: str = ""
    guidance: str = ""
    answer: str = "yes_no"
    weight: int = 1
    critical: bool = False
    na_allowed: bool = True
    disputable: bool = True
    auto: dict | None = None
    key: str = ""


@dataclass(frozen=True, kw_only=True)
class ScorecardData:
    name: str
    default: bool = False
    queue: str = ""
    description: str = ""
    attributes: list[AttributeData] = field(default_factory=list)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


# --- validation ------------------------------------------------------------------------


def _answer_type(answer: Any) -> tuple[str, int | None] | None:
    if answer == "yes_no":
        return AnswerType.YES_NO, None
    if isinstance(answer, str) and answer.startswith("scale:"):
        number = answer[len("scale:"):]
        if number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_SCALE:
            return AnswerType.SCALE, int(number)
    return None


def _clean(data: ScorecardData) -> ScorecardData:
    """``data`` with texts stripped and rules normalized, or :class:`ScorecardInvalid`."""
    name = (data.name or "").strip()
    if not name:
        raise ScorecardInvalid("give the scorecard a name.", field="name")
    if len(name) > 200:
        raise ScorecardInvalid("the name is longer than 200 characters.", field="name")
    if not slugify(name):
        raise ScorecardInvalid("the name needs at least one letter or digit.", field="name")
    queue = (data.queue or "").strip()
    if len(queue) > 100:
        raise ScorecardInvalid("the queue is longer than 100 characters.", field="queue")
    description = (data.description or "").strip()
    if len(description) > LONG_TEXT:
        raise ScorecardInvalid(f"the description is longer than {LONG_TEXT} characters.",
                               field="description")
    if not data.attributes:
        raise ScorecardInvalid("a scorecard needs at least one attribute.", field="attributes")
    if len(data.attributes) > MAX_ATTRIBUTES:
        raise ScorecardInvalid(f"a scorecard has at most {MAX_ATTRIBUTES} attributes.",
                               field="attributes")
    seen: dict[str, int] = {}
    attributes = []
    for number, attribute in enumerate(data.attributes, start=1):
        attribute_name = (attribute.name or "").strip()

        def invalid(detail: str, field: str, number=number, attribute_name=attribute_name):
            return ScorecardInvalid(detail, attribute=number, attribute_name=attribute_name,
                                    field=field)

        if not attribute_name:
            raise invalid("give the attribute a name.", "name")
        if len(attribute_name) > 150:
            raise invalid("the name is longer than 150 characters.", "name")
        if attribute_name.lower() in seen:
            raise invalid(f"the name repeats attribute {seen[attribute_name.lower()]}; "
                          "attribute names must be unique within a scorecard.", "name")
        seen[attribute_name.lower()] = number
        section = (attribute.section or "").strip()
        if len(section) > 150:
            raise invalid("the section is longer than 150 characters.", "section")
        guidance = (attribute.guidance or "").strip()
        if len(guidance) > LONG_TEXT:
            raise invalid(f"the guidance is longer than {LONG_TEXT} characters.", "guidance")
        if _answer_type(attribute.answer) is None:
            raise invalid(f"answer must be yes_no or scale:N with N from 1 to {MAX_SCALE}.",
                          "answer")
        weight = attribute.weight
        if isinstance(weight, bool) or not isinstance(weight, int) \
                or not 0 <= weight <= MAX_WEIGHT:
            raise invalid(f"weight must be a whole number from 0 to {MAX_WEIGHT}.", "weight")
        for flag in ("critical", "na_allowed", "disputable"):
            if not isinstance(getattr(attribute, flag), bool):
                raise invalid(f"{flag} must be true or false.", flag)
        try:
            auto = validate_auto(attribute.auto)
        except ValueError as error:
            raise invalid(f"auto: {error}", "auto") from None
        attributes.append(replace(attribute, name=attribute_name, section=section,
                                  guidance=guidance, auto=auto))
    if sum(a.weight for a in attributes) <= 0:
        raise ScorecardInvalid("weights sum to 0: give at least one attribute a weight.",
                               field="attributes")
    if not isinstance(data.default, bool):
        raise ScorecardInvalid("default must be true or false.", field="default")
    return ScorecardData(name=name, default=data.default, queue=queue,
                         description=description, attributes=attributes)


# --- reading a scorecard back as data --------------------------------------------------


def attribute_data(attribute: Attribute) -> AttributeData:
    return AttributeData(
        name=attribute.name, section=attribute.section, guidance=attribute.guidance,
        answer=attribute.answer_label, weight=attribute.weight, critical=attribute.critical,
        na_allowed=attribute.na_allowed, disputable=attribute.disputable, auto=attribute.auto,
        key=attribute.key,
    )


def scorecard_data(scorecard: Scorecard) -> ScorecardData:
    """The scorecard version as data (attributes in order), ready to edit."""
    return ScorecardData(
        name=scorecard.name, default=scorecard.is_default, queue=scorecard.queue,
        description=scorecard.description,
        attributes=[attribute_data(a) for a in scorecard.attributes.all()],
    )


def scorecard_as_json(scorecard: Scorecard) -> dict:
    """One scorecard in the import/export format (only keys that differ from the defaults
    are left out: ``queue`` and ``description`` when empty)."""
    entry: dict[str, Any] = {"name": scorecard.name, "default": scorecard.is_default}
    if scorecard.queue:
        entry["queue"] = scorecard.queue
    if scorecard.description:
        entry["description"] = scorecard.description
    entry["attributes"] = [
        {"name": a.name, "section": a.section, "answer": a.answer_label, "weight": a.weight,
         "critical": a.critical, "na_allowed": a.na_allowed, "disputable": a.disputable,
         "guidance": a.guidance, "auto": a.auto}
        for a in scorecard.attributes.all()
    ]
    return entry


def export_scorecards(organization: Organization) -> list[dict]:
    """Every current scorecard of ``organization`` in the import format, by name."""
    cards = (Scorecard.objects.filter(organization=organization, is_current=True)
             .prefetch_related("attributes").order_by("name", "pk"))
    return [scorecard_as_json(card) for card in cards]


# --- writing ---------------------------------------------------------------------------


def _same(scorecard: Scorecard, data: ScorecardData) -> bool:
    stored = scorecard_data(scorecard)
    strip_keys = [replace(a, key="") for a in stored.attributes]
    given = [replace(a, key="") for a in data.attributes]
    return (stored.name, stored.default, stored.queue, stored.description, strip_keys) == (
        data.name, data.default, data.queue, data.description, given
    ) and scorecard.is_current and all(
        not a.key or a.key == s.key for a, s in zip(data.attributes, stored.attributes,
                                                    strict=True)
    )


def _attribute_keys(data: ScorecardData, previous: list[Attribute]) -> list[str]:
    """A key per attribute of ``data``: the given key when it continues a previous
    attribute, else the previous attribute of the same name, else a new slug (made unique)."""
    previous_keys = {a.key for a in previous}
    by_name = {a.name.lower(): a.key for a in previous}
    given = {a.key for a in data.attributes if a.key in previous_keys}
    keys: list[str] = []
    for attribute in data.attributes:
        if attribute.key in previous_keys and attribute.key not in keys:
            keys.append(attribute.key)
            continue
        named = by_name.get(attribute.name.lower())
        if named and named not in keys and named not in given:
            keys.append(named)
            continue
        base = slugify(attribute.name)[:90] or "attribute"
        key, n = base, 2
        while key in keys or key in given or key in previous_keys:
            key, n = f"{base}-{n}", n + 1
        keys.append(key)
    return keys


def _check_queue_and_default(organization: Organization, key: str, data: ScorecardData) -> None:
    if data.queue:
        taken = (Scorecard.objects.filter(organization=organization, is_current=True,
                                          queue=data.queue).exclude(key=key).first())
        if taken is not None:
            raise ScorecardInvalid(
                f"the queue “{data.queue}” already has the scorecard “{taken.name}”; a queue "
                "has one scorecard.", field="queue")
    if data.default:
        Scorecard.objects.filter(organization=organization, is_current=True,
                                 is_default=True).exclude(key=key).update(is_default=False)


def _write_attributes(card: Scorecard, data: ScorecardData, keys: list[str]) -> None:
    existing = {a.key: a for a in card.attributes.all()}
    keep = set(keys)
    card.attributes.exclude(key__in=keep).delete()
    for position, (attribute, key) in enumerate(zip(data.attributes, keys, strict=True)):
        answer_type, scale_max = _answer_type(attribute.answer)
        row = existing.get(key) or Attribute(organization_id=card.organization_id,
                                             scorecard=card, key=key)
        row.name, row.section, row.guidance = attribute.name, attribute.section, \
            attribute.guidance
        row.position, row.answer_type, row.scale_max = position, answer_type, scale_max
        row.weight, row.critical = attribute.weight, attribute.critical
        row.na_allowed, row.disputable, row.auto = (attribute.na_allowed,
                                                    attribute.disputable, attribute.auto)
        row.save()


def _lock(organization: Organization) -> None:
    Organization.objects.select_for_update().filter(pk=organization.pk).first()


@transaction.atomic
def create_scorecard(*, organization: Organization, data: ScorecardData,
                     actor: User | None = None) -> Scorecard:
    """A new scorecard (version 1, current). Refuses invalid data (:class:`ScorecardInvalid`
    naming the attribute and field), a name whose key another scorecard uses and a queue
    that already has a scorecard. Taking the default moves it from the previous default.
    Locks the organization row."""
    data = _clean(data)
    _lock(organization)
    key = slugify(data.name)[:100]
    existing = Scorecard.objects.filter(organization=organization, key=key).first()
    if existing is not None:
        raise ScorecardInvalid(
            f"a scorecard named “{existing.name}” already exists; edit it or choose another "
            "name.", field="name")
    _check_queue_and_default(organization, key, data)
    card = Scorecard.objects.create(
        organization=organization, key=key, name=data.name, version=1, is_current=True,
        is_default=data.default, queue=data.queue, description=data.description,
        created_by=actor,
    )
    _write_attributes(card, data, _attribute_keys(data, []))
    return card


def has_evaluations(scorecard: Scorecard) -> bool:
    return Evaluation.objects.filter(scorecard=scorecard).exists()


@transaction.atomic
def update_scorecard(*, scorecard: Scorecard, data: ScorecardData,
                     actor: User | None = None) -> Scorecard:
    """Save ``data`` as the scorecard's content and return the current version.

    ``scorecard`` must be its latest version (current, or archived: saving makes it current
    again). Nothing changes when ``data`` equals what is stored. A version with evaluations
    is kept as it is and a copy with the changes becomes version + 1 (current, with the
    default and the queue moved to it); one without evaluations is edited in place.
    Attribute keys continue across the edit (see :func:`_attribute_keys`). The key of the
    scorecard never changes; a new name may not be another scorecard's name. Locks the
    organization row.
    """
    data = _clean(data)
    organization = scorecard.organization
    _lock(organization)
    latest = (Scorecard.objects.filter(organization=organization, key=scorecard.key)
              .order_by("-version").first())
    if latest is None or latest.pk != scorecard.pk:
        raise QualityError(
            f"Version {scorecard.version} of “{scorecard.name}” is not its latest version; "
            "edit the latest one.")
    if _same(latest, data):
        return latest
    other = (Scorecard.objects.filter(organization=organization, key=slugify(data.name)[:100])
             .exclude(key=latest.key).first())
    if other is not None:
        raise ScorecardInvalid(f"another scorecard is named “{other.name}”; choose another "
                               "name.", field="name")
    _check_queue_and_default(organization, latest.key, data)
    previous = list(latest.attributes.all())
    keys = _attribute_keys(data, previous)
    if has_evaluations(latest):
        latest.is_current, latest.is_default = False, False
        latest.save(update_fields=["is_current", "is_default"])
        card = Scorecard.objects.create(
            organization=organization, key=latest.key, name=data.name,
            version=latest.version + 1, is_current=True, is_default=data.default,
            queue=data.queue, description=data.description, created_by=actor,
        )
    else:
        card = latest
        card.name, card.is_current, card.is_default = data.name, True, data.default
        card.queue, card.description = data.queue, data.description
        card.save(update_fields=["name", "is_current", "is_default", "queue", "description"])
    _write_attributes(card, data, keys)
    return card


@transaction.atomic
def archive_scorecard(*, scorecard: Scorecard, actor: User | None = None) -> Scorecard:
    """Stop using a scorecard: its current version is no longer current (no successor),
    not the default and not its queue's; its evaluations keep it. Saving it again (edit or
    import) makes it current again."""
    _lock(scorecard.organization)
    card = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if not card.is_current:
        raise QualityError(f"“{card.name}” is already archived.")
    card.is_current, card.is_default = False, False
    card.save(update_fields=["is_current", "is_default"])
    return card


# --- the JSON file ---------------------------------------------------------------------


def _parse_attribute(raw: Any, number: int) -> AttributeData:
    name = raw.get("name") if isinstance(raw, dict) else None
    label = name if isinstance(name, str) else ""

    def invalid(detail: str) -> ScorecardInvalid:
        return ScorecardInvalid(detail, attribute=number, attribute_name=label)

    if not isinstance(raw, dict):
        raise invalid("each attribute is an object.")
    unknown = sorted(set(raw) - set(ATTRIBUTE_KEYS))
    if unknown:
        raise invalid(f"unknown key '{unknown[0]}'.")
    if not isinstance(name, str):
        raise invalid("'name' is required and must be text.")
    for text in ("section", "guidance"):
        if raw.get(text) is not None and not isinstance(raw[text], str):
            raise invalid(f"'{text}' must be text.")
    if raw.get("auto") is not None and not isinstance(raw["auto"], dict):
        raise invalid("auto: an automatic rule must be an object with a “rule” name.")
    return AttributeData(
        name=name, section=raw.get("section") or "", guidance=raw.get("guidance") or "",
        answer=raw.get("answer", "yes_no"), weight=raw.get("weight", 1),
        critical=raw.get("critical", False), na_allowed=raw.get("na_allowed", True),
        disputable=raw.get("disputable", True), auto=raw.get("auto"),
    )


def _parse(entry: Any) -> ScorecardData:
    if not isinstance(entry, dict):
        raise ScorecardInvalid("each scorecard is an object.")
    unknown = sorted(set(entry) - set(SCORECARD_KEYS))
    if unknown:
        raise ScorecardInvalid(f"unknown key '{unknown[0]}'.")
    if not isinstance(entry.get("name"), str):
        raise ScorecardInvalid("'name' is required and must be text.")
    for text in ("queue", "description"):
        if entry.get(text) is not None and not isinstance(entry[text], str):
            raise ScorecardInvalid(f"'{text}' must be text.")
    attributes = entry.get("attributes")
    if not isinstance(attributes, list):
        raise ScorecardInvalid("'attributes' must be a list of attributes.")
    return ScorecardData(
        name=entry["name"], default=entry.get("default", False),
        queue=entry.get("queue") or "", description=entry.get("description") or "",
        attributes=[_parse_attribute(raw, number)
                    for number, raw in enumerate(attributes, start=1)],
    )


def _matching(organization: Organization, name: str) -> Scorecard | None:
    """The latest version of the scorecard an imported ``name`` continues: the one of that
    name (current first), else the one whose key is the name's slug."""
    cards = Scorecard.objects.filter(organization=organization)
    named = cards.filter(name__iexact=name.strip()).order_by("-is_current", "-version").first()
    key = named.key if named is not None else slugify(name)[:100]
    return cards.filter(key=key).order_by("-version").first()


def import_scorecards(*, organization: Organization, entries: Any,
                      actor: User | None = None) -> ImportSummary:
    """Create or update scorecards from the JSON list, all or nothing.

    A scorecard whose name exists is updated by :func:`update_scorecard` (a new version
    when the current one has evaluations; nothing when identical). Raises
    :class:`ImportRefused` naming the scorecard, the attribute and the bad part, e.g.
    ``Scorecard 1 (“Customer care”), attribute 3 (“Compliance”): weight must be a whole
    number from 0 to 1000.``
    """
    if not isinstance(entries, list):
        raise ImportRefused("The file must hold a list of scorecards.")
    summary = ImportSummary()
    seen: dict[str, int] = {}
    default_at: int | None = None
    with transaction.atomic():
        for number, entry in enumerate(entries, start=1):
            name = entry.get("name") if isinstance(entry, dict) else None
            label = f"Scorecard {number}" + (f" (“{name}”)" if isinstance(name, str) else "")
            try:
                data = _parse(entry)
                key = slugify(data.name.strip())
                if key in seen:
                    raise ScorecardInvalid(f"the name repeats scorecard {seen[key]}.")
                seen[key] = number
                if data.default is True:
                    if default_at is not None:
                        raise ScorecardInvalid(
                            f"only one scorecard can be the default (scorecard {default_at} "
                            "already is).")
                    default_at = number
                existing = _matching(organization, data.name)
                if existing is None:
                    create_scorecard(organization=organization, data=data, actor=actor)
                    summary.created += 1
                elif _same(existing, _clean(data)):
                    summary.unchanged += 1
                else:
                    update_scorecard(scorecard=existing, data=data, actor=actor)
                    summary.updated += 1
            except ScorecardInvalid as error:
                where = (f"{label}, attribute {error.attribute} (“{error.attribute_name}”)"
                         if error.attribute is not None else label)
                raise ImportRefused(f"{where}: {error.detail}") from None
            except QualityError as error:
                raise ImportRefused(f"{label}: {error.message}") from None
    return summary



# --- reads for the scorecard pages (they belong with the writes' rules of what a
# version is; quality.selectors holds the reads shared across areas) ---------------------


def scorecards_for_list(organization: Organization):
    """The latest version of every scorecard (current ones, then archived), with
    ``attribute_count``, ``evaluation_count`` (over all its versions) and ``archived`` —
    a constant number of queries."""
    newer = Scorecard.objects.filter(organization=organization, key=OuterRef("key"),
                                     version__gt=OuterRef("version"))
    evaluations = (Evaluation.objects.filter(organization=organization,
                                             scorecard__key=OuterRef("key"))
                   .order_by().values("organization").annotate(n=Count("pk")).values("n"))
    attributes = (Attribute.objects.filter(scorecard=OuterRef("pk")).order_by()
                  .values("scorecard").annotate(n=Count("pk")).values("n"))
    return (Scorecard.objects.filter(organization=organization)
            .exclude(Exists(newer))
            .annotate(attribute_count=Coalesce(Subquery(attributes), 0),
                      evaluation_count=Coalesce(Subquery(evaluations), 0))
            .order_by("-is_current", "name", "pk"))


def versions_of(scorecard: Scorecard):
    """Every version of ``scorecard``'s key, newest first, with ``evaluation_count``."""
    return (Scorecard.objects.filter(organization_id=scorecard.organization_id,
                                     key=scorecard.key)
            .annotate(evaluation_count=Count("evaluations"))
            .select_related("created_by").order_by("-version"))


def latest_version(scorecard: Scorecard) -> Scorecard:
    return (Scorecard.objects.filter(organization_id=scorecard.organization_id,
                                     key=scorecard.key).order_by("-version").first())
