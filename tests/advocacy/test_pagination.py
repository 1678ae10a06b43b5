"""The one-query paginator answers exactly as Django's does, whatever the page asked for."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.models import User
from advocacy.pagination import OneQueryPaginator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    UserFactory.create_batch(7)
    return User.objects.order_by("pk")


@pytest.mark.parametrize("number", [None, "1", "2", "3", "4", "99", "0", "-1", "abc", "2.0", str(10**30)])
def test_every_page_number_gives_the_page_and_count_djangos_paginator_gives(users, number):
    ours, django = OneQueryPaginator(users, 3).get_page(number), Paginator(users, 3).get_page(number)
    assert ours.number == django.number
    assert list(ours.object_list) == list(django.object_list)
    assert ours.paginator.count == django.paginator.count == 7
    assert ours.paginator.num_pages == 3


def test_a_page_within_range_is_one_query(users):
    with CaptureQueriesContext(connection) as queries:
        page = OneQueryPaginator(users, 3).get_page("2")
        assert page.paginator.count == 7
    assert len(queries) == 1


def test_an_empty_list_has_an_empty_first_page(users):
    page = OneQueryPaginator(User.objects.none(), 3).get_page("1")
    assert page.number == 1 and list(page.object_list) == [] and page.paginator.count == 0
