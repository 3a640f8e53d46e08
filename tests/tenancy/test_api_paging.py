"""The API's newest-first cursor paging (tenancy.api_paging), shared by every id-paged list."""

import pytest

from tenancy.api_paging import (
    BAD_CURSOR,
    BadCursor,
    decode_cursor,
    encode_cursor,
    newest_first_page,
)
from tenancy.models import Organization


@pytest.mark.parametrize("cursor", ["!!", "MA", "LTE", "OTIyMzM3MjAzNjg1NDc3NTgwOA", "w6k"])
def test_a_cursor_the_api_did_not_return_is_refused(cursor):
    # not base64; "0"; "-1"; one past the largest id; "é" (not a number)
    with pytest.raises(BadCursor, match=BAD_CURSOR):
        decode_cursor(cursor)


def test_cursors_round_trip_without_padding():
    assert encode_cursor(1) == "MQ"
    assert [decode_cursor(encode_cursor(pk)) for pk in (1, 42, 9_223_372_036_854_775_807)] == [
        1, 42, 9_223_372_036_854_775_807]


@pytest.mark.django_db
def test_pages_newest_first_until_the_end():
    made = [Organization.objects.create(name=f"Org {n}", slug=f"paging-{n}") for n in range(5)]
    queryset = Organization.objects.filter(slug__startswith="paging-")
    first, cursor = newest_first_page(queryset, None, 2)
    second, cursor2 = newest_first_page(queryset, cursor, 2)
    last, end = newest_first_page(queryset, cursor2, 2)
    assert [[o.slug for o in page] for page in (first, second, last)] == [
        ["paging-4", "paging-3"], ["paging-2", "paging-1"], ["paging-0"]]
    assert (cursor, cursor2, end) == (encode_cursor(made[3].pk), encode_cursor(made[1].pk), None)
