"""Due dates: days to complete from the creation day in the tenant's timezone, optionally
skipping the tenant's weekend days; month and year ends, daylight-saving changes."""

import datetime
import zoneinfo

import pytest

from learning.due_dates import add_days, due_date_for, due_status, local_date
from learning.enums import EXCLUDE_WEEKENDS_SETTING
from tenancy.models import Organization

D = datetime.date
UTC = datetime.UTC


def org(tz="UTC", weekend=(5, 6), exclude=False) -> Organization:
    return Organization(name="T", slug="t", timezone=tz, weekend_days=list(weekend),
                        settings={EXCLUDE_WEEKENDS_SETTING: exclude})


@pytest.mark.parametrize(("start", "days", "expected"), [
    (D(2025, 3, 3), 5, D(2025, 3, 8)),      # Monday + 5 calendar days = Saturday
    (D(2025, 1, 29), 5, D(2025, 2, 3)),     # across a month end
    (D(2024, 2, 27), 3, D(2024, 3, 1)),     # across a leap-year February
    (D(2025, 12, 30), 5, D(2026, 1, 4)),    # across a year end
    (D(2025, 3, 3), 0, D(2025, 3, 3)),
])
def test_add_days_counts_calendar_days_without_skipping(start, days, expected):
    assert add_days(start, days) == expected


@pytest.mark.parametrize(("start", "days", "expected"), [
    (D(2025, 3, 3), 5, D(2025, 3, 10)),     # Monday + 5 working days = next Monday
    (D(2025, 3, 7), 1, D(2025, 3, 10)),     # Friday + 1 = Monday
    (D(2025, 3, 8), 1, D(2025, 3, 10)),     # created on Saturday: Monday is the first day
    (D(2025, 3, 8), 0, D(2025, 3, 10)),     # 0 days on a weekend: the next working day
    (D(2025, 1, 29), 5, D(2025, 2, 5)),     # Wednesday across the month end
    (D(2025, 12, 31), 3, D(2026, 1, 5)),    # Wednesday across the year end
    (D(2025, 3, 3), 10, D(2025, 3, 17)),    # two whole weeks
])
def test_add_days_skips_saturday_and_sunday(start, days, expected):
    assert add_days(start, days, skip_weekdays=[5, 6]) == expected


def test_add_days_skips_the_tenants_own_weekend_days():
    # A Friday/Saturday weekend: Thursday 6 March 2025 + 1 working day is Sunday 9 March.
    assert add_days(D(2025, 3, 6), 1, skip_weekdays=[4, 5]) == D(2025, 3, 9)
    assert add_days(D(2025, 3, 6), 3, skip_weekdays=[4, 5]) == D(2025, 3, 11)
    # A one-day weekend (Sunday only): Saturday counts.
    assert add_days(D(2025, 3, 7), 1, skip_weekdays=[6]) == D(2025, 3, 8)
    assert add_days(D(2025, 3, 7), 2, skip_weekdays=[6]) == D(2025, 3, 10)


def test_add_days_refuses_a_week_without_working_days_and_negative_days():
    with pytest.raises(ValueError, match="working day"):
        add_days(D(2025, 3, 3), 1, skip_weekdays=range(7))
    with pytest.raises(ValueError, match="negative"):
        add_days(D(2025, 3, 3), -1)


def test_due_date_for_uses_the_tenants_timezone_for_the_creation_day():
    # 23:30 UTC on Friday 31 January 2025 is already Saturday 1 February in Amsterdam.
    created = datetime.datetime(2025, 1, 31, 23, 30, tzinfo=UTC)
    assert due_date_for(organization=org("UTC"), days=5, created_at=created) == D(2025, 2, 5)
    assert due_date_for(organization=org("Europe/Amsterdam"), days=5,
                        created_at=created) == D(2025, 2, 6)
    # ...and still Friday 31 January in Chicago.
    assert due_date_for(organization=org("America/Chicago"), days=5,
                        created_at=created) == D(2025, 2, 5)


def test_due_date_for_skips_weekends_only_when_the_setting_is_on():
    created = datetime.datetime(2025, 12, 31, 10, 0, tzinfo=UTC)  # Wednesday
    assert due_date_for(organization=org(exclude=False), days=5,
                        created_at=created) == D(2026, 1, 5)
    assert due_date_for(organization=org(exclude=True), days=5,
                        created_at=created) == D(2026, 1, 7)
    assert due_date_for(organization=org(exclude=True, weekend=[4, 5]), days=5,
                        created_at=created) == D(2026, 1, 7)
    # Friday/Saturday weekend from Wednesday 31 Dec: Thu 1, Sun 4, Mon 5, Tue 6, Wed 7.
    assert due_date_for(organization=org(exclude=True, weekend=[4, 5]), days=2,
                        created_at=created) == D(2026, 1, 4)


@pytest.mark.parametrize(("tz", "created_utc", "days", "expected"), [
    # Europe/Amsterdam springs forward on Sunday 30 March 2025 at 02:00 local (01:00 UTC).
    ("Europe/Amsterdam", datetime.datetime(2025, 3, 29, 22, 30, tzinfo=UTC), 1, D(2025, 3, 30)),
    ("Europe/Amsterdam", datetime.datetime(2025, 3, 29, 23, 30, tzinfo=UTC), 1, D(2025, 3, 31)),
    # ...and falls back on Sunday 26 October 2025 at 03:00 local (01:00 UTC).
    ("Europe/Amsterdam", datetime.datetime(2025, 10, 25, 21, 59, tzinfo=UTC), 1, D(2025, 10, 26)),
    ("Europe/Amsterdam", datetime.datetime(2025, 10, 25, 22, 0, tzinfo=UTC), 1, D(2025, 10, 27)),
    ("Europe/Amsterdam", datetime.datetime(2025, 10, 26, 22, 59, tzinfo=UTC), 1, D(2025, 10, 27)),
    ("Europe/Amsterdam", datetime.datetime(2025, 10, 26, 23, 0, tzinfo=UTC), 1, D(2025, 10, 28)),
    # America/Chicago springs forward on Sunday 9 March 2025 (UTC-6 → UTC-5).
    ("America/Chicago", datetime.datetime(2025, 3, 9, 5, 30, tzinfo=UTC), 5, D(2025, 3, 13)),
    ("America/Chicago", datetime.datetime(2025, 3, 10, 4, 30, tzinfo=UTC), 5, D(2025, 3, 14)),
    ("America/Chicago", datetime.datetime(2025, 3, 10, 5, 30, tzinfo=UTC), 5, D(2025, 3, 15)),
])
def test_due_date_for_across_daylight_saving_changes(tz, created_utc, days, expected):
    assert due_date_for(organization=org(tz), days=days, created_at=created_utc) == expected


def test_due_date_for_across_daylight_saving_with_weekends_skipped():
    # Friday 24 October 2025, 23:30 Amsterdam (21:30 UTC) + 1 working day: Monday 27 October,
    # over the weekend in which the clocks go back.
    created = datetime.datetime(2025, 10, 24, 21, 30, tzinfo=UTC)
    assert due_date_for(organization=org("Europe/Amsterdam", exclude=True), days=1,
                        created_at=created) == D(2025, 10, 27)


def test_local_date_needs_an_aware_datetime():
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime.datetime(2025, 1, 1, 12, 0), zoneinfo.ZoneInfo("UTC"))


def test_due_status_reads_overdue_today_later_and_closed():
    today = D(2025, 3, 10)
    assert due_status(due_date=D(2025, 3, 9), is_open=True, today=today) == "overdue"
    assert due_status(due_date=today, is_open=True, today=today) == "today"
    assert due_status(due_date=D(2025, 3, 11), is_open=True, today=today) == "later"
    assert due_status(due_date=D(2025, 3, 9), is_open=False, today=today) == "closed"
