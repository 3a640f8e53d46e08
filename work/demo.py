"""Demo work items for ``manage.py seed_demo``: a few thousand across kinds and teams.

Everything goes through :func:`work.services.upsert_work_items`, so the demo has the same
events a real feed produces: a first pass creates the items, a second reassigns, escalates
and reopens some of them. Idempotent: a tenant that already has demo items is left alone.
"""

import random
from datetime import timedelta

from django.utils import timezone

from tenancy.demo import analyze_tables
from tenancy.models import Organization

from .enums import WorkState
from .models import WorkItem
from .services import MAX_BATCH, upsert_work_items

DEMO_PREFIX = "DEMO-"
ITEMS_PER_AGENT = 100

# Per kind: number prefix, channel, (category, subcategory, short description, skill).
CATALOGUE = {
    "incident": ("INC", "", [
        ("Access", "Password", "Cannot log in after password expiry", "Password resets"),
        ("Access", "MFA", "Authenticator app lost, MFA blocks sign-in", "Identity and access"),
        ("Hardware", "Laptop", "Laptop does not start after update", "Hardware troubleshooting"),
        ("Software", "E-mail", "Outlook keeps asking for credentials", "Microsoft 365"),
        ("Software", "Teams", "Teams calls drop after a few minutes", "Microsoft 365"),
        ("Network", "VPN", "VPN connects but internal sites time out", "VPN"),
        ("Network", "Wi-Fi", "Office Wi-Fi drops on the third floor", "Wireless networking"),
        ("Printing", "Queue", "Print jobs stuck in the queue", "Printing"),
    ]),
    "request": ("RITM", "", [
        ("Access", "New account", "New starter needs accounts and laptop", "Identity and access"),
        ("Software", "Install", "Install Visio for the planning team", "Software packaging"),
        ("Access", "Shared mailbox", "Access to the finance shared mailbox", "Microsoft 365"),
        ("Hardware", "Peripheral", "Second monitor for home office", "Hardware troubleshooting"),
    ]),
    "problem": ("PRB", "", [
        ("Network", "VPN", "Recurring VPN disconnects for remote staff", "VPN"),
        ("Software", "E-mail", "Mailbox sync failures after migration", "Microsoft 365"),
        ("Network", "DNS", "Intermittent name resolution failures", "DNS"),
    ]),
    "change": ("CHG", "", [
        ("Network", "Firewall", "Open port 443 to the new partner API", "Firewall changes"),
        ("Network", "Router", "Replace core router in data center B", "Routing"),
        ("Software", "Patch", "Monthly patch window for file servers", "Patch management"),
    ]),
    "case": ("CS", "web", [
        ("Orders", "Delivery", "Order not delivered after ten days", "Order tracking"),
        ("Billing", "Refund", "Refund not received for returned item", "Refunds"),
        ("Billing", "Invoice", "Invoice shows the wrong VAT number", "Billing disputes"),
        ("Account", "Address", "Change delivery address on open order", "Account changes"),
    ]),
    "call": ("CALL", "phone", [
        ("Billing", "Charge", "Customer disputes a double charge", "Billing disputes"),
        ("Orders", "Return", "Customer wants to return a damaged item", "Returns"),
        ("Account", "Cancellation", "Customer asks to cancel the subscription", "Retention"),
    ]),
    "chat": ("CHAT", "chat", [
        ("Orders", "Status", "Where is my order?", "Order tracking"),
        ("Product", "Sizing", "Question about product sizing", "Product knowledge"),
        ("Billing", "Payment", "Payment declined at checkout", "Payments"),
    ]),
    "email": ("MAIL", "email", [
        ("Billing", "Invoice", "Request for a copy of last month's invoice", "Billing disputes"),
        ("Orders", "Return", "Return label did not arrive", "Returns"),
        ("Complaint", "Service", "Complaint about the courier's behaviour", "Complaint handling"),
    ]),
}
TEAM_KINDS = {
    "Service Desk": ["incident"] * 6 + ["request"] * 4 + ["problem"],
    "Network Operations": ["incident"] * 5 + ["change"] * 3 + ["problem"] * 2,
    "Customer Care": ["case"] * 3 + ["call"] * 4 + ["chat"] * 3 + ["email"] * 2,
    "Billing": ["case"] * 2 + ["call"] * 4 + ["chat"] * 2 + ["email"] * 2,
}
STATES = (
    [WorkState.CLOSED] * 30 + [WorkState.RESOLVED] * 35 + [WorkState.IN_PROGRESS] * 15
    + [WorkState.NEW] * 8 + [WorkState.ON_HOLD] * 7 + [WorkState.CANCELLED] * 5
)


def _batches(items: list[dict]):
    for start in range(0, len(items), MAX_BATCH):
        yield items[start:start + MAX_BATCH]


def _item(rng: random.Random, number: int, team, agents, now) -> dict:
    kind = rng.choice(TEAM_KINDS.get(team.name, ["incident", "request", "case"]))
    prefix, channel, topics = CATALOGUE[kind]
    category, subcategory, text, skill = rng.choice(topics)
    state = rng.choice(STATES)
    opened = now - timedelta(days=rng.uniform(0.1, 90))
    agent = rng.choice(agents) if agents else None
    interaction = kind in ("call", "chat", "email")
    item = {
        "external_id": f"{DEMO_PREFIX}{prefix}{number:07d}",
        "number": f"{prefix}{number:07d}",
        "kind": kind,
        "state": state,
        "short_description": text,
        "description": f"{text}. Reported via {channel or 'the portal'}; see the work notes.",
        "priority": rng.choices([1, 2, 3, 4, 5], weights=[2, 8, 40, 40, 10])[0],
        "category": category,
        "subcategory": subcategory,
        "team": team.name,
        "assigned_to": agent.username if agent and state != WorkState.NEW else None,
        "opened_at": opened,
        "escalated": rng.random() < 0.08,
        "sla_breached": rng.random() < 0.1,
        "channel": channel,
        "skills": [skill],
    }
    if interaction:
        item["handle_time_seconds"] = int(rng.gauss(420 if kind == "call" else 600, 150)) or 60
        item["sentiment"] = round(max(-1.0, min(1.0, rng.gauss(0.2, 0.45))), 2)
        item["handle_time_seconds"] = max(item["handle_time_seconds"], 30)
    if state in (WorkState.RESOLVED, WorkState.CLOSED):
        resolved = opened + timedelta(hours=rng.uniform(0.2, 72))
        item["resolved_at"] = min(resolved, now)
        item["resolved_by"] = item["assigned_to"]
        if state == WorkState.CLOSED:
            item["closed_at"] = min(resolved + timedelta(days=rng.uniform(1, 5)), now)
    return item


def _follow_ups(rng: random.Random, items: list[dict], agents_by_team: dict) -> list[dict]:
    """Second pass: reassign, escalate, reopen or resolve some items (events with history)."""
    updates = []
    for item in items:
        roll = rng.random()
        agents = agents_by_team.get(item["team"], [])
        if roll < 0.08 and item["assigned_to"] and len(agents) > 1:
            others = [a for a in agents if a.username != item["assigned_to"]]
            updates.append({"external_id": item["external_id"],
                            "assigned_to": rng.choice(others).username})
        elif roll < 0.12 and item["state"] in (WorkState.RESOLVED, WorkState.CLOSED):
            updates.append({"external_id": item["external_id"], "state": WorkState.IN_PROGRESS,
                            "resolved_at": None, "closed_at": None, "resolved_by": None})
        elif roll < 0.16 and item["state"] in (WorkState.NEW, WorkState.IN_PROGRESS):
            updates.append({"external_id": item["external_id"], "escalated": True,
                            "priority": max(1, item["priority"] - 1)})
        elif roll < 0.22 and item["state"] == WorkState.IN_PROGRESS and item["assigned_to"]:
            updates.append({"external_id": item["external_id"], "state": WorkState.RESOLVED,
                            "resolved_at": timezone.now(), "resolved_by": item["assigned_to"]})
    return updates


def seed_work_items(organization: Organization, people, stdout=None) -> None:
    if WorkItem.objects.filter(
        organization=organization, external_id__startswith=DEMO_PREFIX
    ).exists():
        return
    rng = random.Random(f"work-{organization.slug}")
    now = timezone.now()
    agents_by_team = {
        team.name: [u for u in team.members.all() if u in people.agents] for team in people.teams
    }
    total = max(ITEMS_PER_AGENT * len(people.agents), 300)
    items = []
    for number in range(1, total + 1):
        team = people.teams[number % len(people.teams)]
        items.append(_item(rng, number, team, agents_by_team[team.name], now))
    created = updated = 0
    for batch in _batches(items):
        created += upsert_work_items(organization=organization, items=batch,
                                     create_missing=True).created
    for batch in _batches(_follow_ups(rng, items, agents_by_team)):
        updated += upsert_work_items(organization=organization, items=batch).updated
    analyze_tables()  # the seeders after this one query the work just written
    if stdout is not None:
        stdout.write(f"{organization.slug}: {created} work items, {updated} follow-up changes.")
