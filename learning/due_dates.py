"""Due-date arithmetic: a course's days to complete counted from the day a task is created,
in the tenant's timezone, optionally skipping the tenant's weekend days.

Pure functions (no database), so the calendar edge cases are easy to test.
"""

import datetime
import zoneinfo
from collections.abc import Iterable

from .enums import EXCLUDE_WEEKENDS_SETTING, DueStatus


def local_date(moment: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.date:
    """The calendar date of an aware ``moment`` in ``tz``."""
    if moment.tzinfo is None:
        raise ValueError("local_date needs an aware datetime.")
    return moment.astimezone(tz).date()


def add_days(start: datetime.date, days: int, *,
             skip_weekdays: Iterable[int] = ()) -> datetime.date:
    """``start`` plus ``days`` days; with ``skip_weekdays`` (0=Monday…6=Sunday) only other
    days count, so the result is always a working day."""
    if days < 0:
        raise ValueError("days must not be negative.")
    skip = frozenset(skip_weekdays)
    if len(skip) >= 7:
        raise ValueError("At least one working day must remain.")
    if not skip:
        return start + datetime.timedelta(days=days)
    day, counted = start, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if day.weekday() not in skip:
            counted += 1
    while day.weekday() in skip:  # days=0 on a weekend day: the next working day
        day += datetime.timedelta(days=1)
    return day


def excludes_weekends(organization) -> bool:
    return bool((organization.settings or {}).get(EXCLUDE_WEEKENDS_SETTING, False))


def due_date_for(*, organization, days: int, created_at: datetime.datetime) -> datetime.date:
    """The due date of a task created at ``created_at`` for a course of ``days`` days."""
    skip = organization.weekend_days if excludes_weekends(organization) else ()
    return add_days(local_date(created_at, organization.tzinfo), days, skip_weekdays=skip)


def today_for(organization, now: datetime.datetime) -> datetime.date:
    return local_date(now, organization.tzinfo)


def due_status(*, due_date: datetime.date, is_open: bool, today: datetime.date) -> str:
    if not is_open:
        return DueStatus.CLOSED
    if due_date < today:
        return DueStatus.OVERDUE
    if due_date == today:
        return DueStatus.TODAY
    return DueStatus.LATER
