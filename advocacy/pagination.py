"""A paginator that reads a page and the number of rows in one query, for the list pages that search and filter."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

from advocacy.query import QUERY_ID_MAX


class OneQueryPaginator(Paginator):  # type: ignore[type-arg]
    """``COUNT(*) OVER ()`` beside each row of the page, where Django's paginator counts first and then reads the
    page: a search or a filter that cannot use an index scans the table once instead of twice, and the page costs
    one round trip to the database instead of two.

    Only ``get_page`` takes the one-query path; a page past the end, below 1 or too far for the database's offset
    falls back to Django's, which counts and shows the last page. ``object_list`` must be a queryset.
    """

    def get_page(self, number: Any) -> Page:  # type: ignore[type-arg]
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        bottom = (wanted - 1) * self.per_page
        if wanted < 1 or bottom + self.per_page > QUERY_ID_MAX:
            return super().get_page(number)
        queryset: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        rows = list(queryset.annotate(list_total=Window(Count("pk")))[bottom : bottom + self.per_page])
        if not rows and wanted > 1:
            return super().get_page(number)
        # ``count`` is a cached property: filling it here spares Django's COUNT query.
        self.__dict__["count"] = rows[0].list_total if rows else 0
        return Page(rows, wanted, self)
