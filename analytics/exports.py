"""The dashboard's tables as files: CSV or XLSX, one table or all of them, plus the detailed rows (one per day, member
and network) that can reach a million lines.

Each table reads the dashboard's own selectors (``analytics.dashboard``), so a file never says something the page does
not. Rows are generators: the detailed table reads the rollup through a server-side cursor, the CSV goes out as it is
written (``StreamingHttpResponse``) and the XLSX is written by openpyxl in write-only mode, which keeps each sheet on
disk, so neither holds the rows in memory.

CSV for the reader's spreadsheet: UTF-8 with a byte order mark (without it Excel reads UTF-8 as Windows-1252 and
mangles every accent), and the separators of the reader's language: where the decimal separator is a comma (French),
fields are separated by ``;`` as Excel expects there, else by ``,``. Decimals use the language's separator, integers
have none, dates are ISO (read as dates by Excel in every language). A figure the network did not give is an empty
cell, never 0, and its column's header says so.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db.models import IntegerField, Sum
from django.db.models.functions import Coalesce
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from advocacy.models import Organization, Programme
from analytics.dashboard import (
    FUNNEL_STAGES,
    PARTIAL,
    Filters,
    Period,
    adoption,
    headline,
    over_time,
    programme_comparison,
    stats,
    top_posts,
    topic_gaps,
)
from analytics.presentation import FUNNEL_LABELS, network_label
from content.models import Topic

Cell = int | float | str | date | None
# Rows fetched per round trip from the server-side cursor of the detailed table.
CHUNK_ROWS = 2000
# Rows between two progress reports of a background export.
PROGRESS_EVERY = 5000
# A background export's time limit: a million XLSX rows take minutes, more than the default limit of a task. Below the
# Redis broker's visibility timeout (an hour), which would otherwise deliver the message a second time.
EXPORT_SECONDS = 30 * 60
EVERYTHING = "everything"
DETAILED = "detailed"


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: list[str]
    rows: Iterator[Sequence[Cell]]


def _unknown(label: str) -> str:
    return _("%(figure)s (empty: not given by the network)") % {"figure": label}


def _or_zero(value: int | None, shares: int) -> int | None:
    # As on the page: without a share there is nothing to engage with, so 0; with shares, unknown stays unknown.
    return value if value is not None or shares else 0


def by_network(organization: Organization, filters: Filters) -> Sheet:
    rows = headline(organization, filters).by_network
    return Sheet(
        pgettext("spreadsheet tab", "By network"),
        [
            _("Network"),
            _("Shares"),
            _("Clicks"),
            _("Unique clicks"),
            _unknown(_("Reactions")),
            _unknown(_("Comments")),
            _unknown(_("Reshares")),
            _unknown(_("Impressions")),
            _unknown(_("Members reached")),
        ],
        (
            [
                network_label(network),
                figures.shares,
                figures.clicks,
                figures.unique_clicks,
                figures.likes,
                figures.comments,
                figures.reshares,
                figures.impressions,
                figures.reach,
            ]
            for network, figures in rows.items()
        ),
    )


def by_time(organization: Organization, filters: Filters) -> Sheet:
    buckets = over_time(organization, filters)
    return Sheet(
        pgettext("spreadsheet tab", "Over time"),
        [
            _("Period starting"),
            _("Network"),
            _("Shares"),
            _("Unique clicks"),
            _("Clicks"),
            _unknown(_("Engagement")),
            _unknown(_("Impressions")),
        ],
        (
            [
                bucket.first_day,
                network_label(network),
                figures.shares,
                figures.unique_clicks,
                figures.clicks,
                _or_zero(figures.engagement, figures.shares),
                _or_zero(figures.impressions, figures.shares),
            ]
            for bucket in buckets
            for network, figures in bucket.by_network.items()
        ),
    )


def adoption_steps(organization: Organization, filters: Filters) -> Sheet:
    funnel = adoption(organization, filters)
    previous = dict(funnel.previous.stages())
    return Sheet(
        pgettext("spreadsheet tab", "Adoption"),
        [_("Step"), _("Members at the end of the period"), _("Members at the end of the previous period")],
        ([str(FUNNEL_LABELS[stage]), count, previous[stage]] for stage, count in funnel.current.stages()),
    )


def adoption_by_programme(organization: Organization, filters: Filters) -> Sheet:
    funnel = adoption(organization, filters)
    return Sheet(
        pgettext("spreadsheet tab", "Adoption per programme"),
        [_("Programme"), *(str(FUNNEL_LABELS[stage]) for stage in FUNNEL_STAGES)],
        ([programme.name, *(count for _stage, count in stages.stages())] for programme, stages in funnel.by_programme),
    )


def topics(organization: Organization, filters: Filters) -> Sheet:
    no_topic = _("No topic")
    return Sheet(
        pgettext("spreadsheet tab", "Topics"),
        [_("Topic"), _("Shares"), _("Part of the shares (%)"), _("Unique clicks"), _("Part of the clicks (%)")],
        (
            [
                gap.topic.name if gap.topic else no_topic,
                gap.shares,
                round(gap.share_of_shares, 1),
                gap.unique_clicks,
                round(gap.share_of_clicks, 1),
            ]
            for gap in topic_gaps(organization, filters)
        ),
    )


def posts(organization: Organization, filters: Filters) -> Sheet:
    return Sheet(
        pgettext("spreadsheet tab", "Top posts"),
        [_("Post"), _("Shares"), _("Unique clicks"), _("Clicks"), _unknown(_("Engagement"))],
        (
            [post.title, figures.shares, figures.unique_clicks, figures.clicks, figures.engagement]
            for post, figures in top_posts(organization, filters)
        ),
    )


def programmes(organization: Organization, filters: Filters) -> Sheet:
    # As on the page: with a programme chosen there is nothing to compare.
    rows = programme_comparison(organization, filters) if not filters.programme else []
    return Sheet(
        pgettext("spreadsheet tab", "Programmes compared"),
        [
            _("Programme"),
            _("Members"),
            _("Active ambassadors"),
            _("Shares"),
            _("Unique clicks"),
            _unknown(_("Engagement")),
        ],
        (
            [
                row.programme.name,
                row.members,
                row.figures.active_ambassadors,
                row.figures.shares,
                row.figures.unique_clicks,
                _or_zero(row.figures.engagement, row.figures.shares),
            ]
            for row in rows
        ),
    )


def _detailed_query(organization: Organization, filters: Filters) -> Any:
    """One row per day, member and network: the rows ``stats()`` selects (``all``, or the breakdown the filters
    need), summed so that the per-post rows of a programme and topic filter come out once per member too."""
    sums: dict[str, Any] = {
        name: Coalesce(Sum(name), 0, output_field=IntegerField()) for name in ("shares", "clicks", "unique_clicks")
    }
    # NULL when no row knows it: an unknown figure stays empty, never 0.
    sums.update({name: Sum(name) for name in PARTIAL})
    return (
        stats(organization, filters)
        .values_list("day", "membership_id", "membership__user__full_name", "membership__user__email", "network")
        .annotate(**sums)
        .order_by("day", "membership_id", "network")
    )


def detailed_count(organization: Organization, filters: Filters) -> int:
    """How many lines the detailed table has, in one COUNT over the rollup's index. With a programme and a topic
    filter it counts the per-post rows, a little more than the lines: the estimate only errs towards a background
    export."""
    return int(stats(organization, filters).count())


def detailed(organization: Organization, filters: Filters) -> Sheet:
    no_member = _("No member (link deleted)")

    def rows() -> Iterator[Sequence[Cell]]:
        for day, member, full_name, email, network, *figures in _detailed_query(organization, filters).iterator(
            chunk_size=CHUNK_ROWS
        ):
            yield [day, (full_name or email) if member else no_member, network_label(network), *figures]

    return Sheet(
        pgettext("spreadsheet tab", "Detail"),
        [
            _("Day"),
            _("Member"),
            _("Network"),
            _("Shares"),
            _("Clicks"),
            _("Unique clicks"),
            *(_unknown(str(label)) for label in PARTIAL_LABELS),
        ],
        rows(),
    )


PARTIAL_LABELS: tuple[Promise, ...] = (
    gettext_lazy("Reactions"),
    gettext_lazy("Comments"),
    gettext_lazy("Reshares"),
    gettext_lazy("Impressions"),
    gettext_lazy("Members reached"),
)
assert len(PARTIAL_LABELS) == len(PARTIAL)

SheetMaker = Callable[[Organization, Filters], Sheet]
# The dashboard's tables in its order, then the detailed rows (never part of "everything": it has its own file).
TABLES: dict[str, tuple[Promise, SheetMaker]] = {
    "network": (gettext_lazy("By network"), by_network),
    "over_time": (gettext_lazy("Over time"), by_time),
    "adoption": (gettext_lazy("Adoption"), adoption_steps),
    "adoption_programmes": (gettext_lazy("Adoption per programme"), adoption_by_programme),
    "topics": (gettext_lazy("Topics shared and clicked"), topics),
    "top_posts": (gettext_lazy("Top posts"), posts),
    "programmes": (gettext_lazy("Programmes compared"), programmes),
    DETAILED: (gettext_lazy("Detail per day, member and network"), detailed),
}
DASHBOARD_TABLES = [key for key in TABLES if key != DETAILED]


def sheets(organization: Organization, filters: Filters, table: str) -> Iterator[Sheet]:
    """The sheets of one table, or of every dashboard table for ``everything``, each made when it is reached."""
    for key in DASHBOARD_TABLES if table == EVERYTHING else [table]:
        yield TABLES[key][1](organization, filters)


def row_count(organization: Organization, filters: Filters, table: str) -> int:
    """The rows a file will hold, cheaply: the dashboard's tables have a few hundred at most (buckets, programmes,
    topics), so only the detailed table is counted."""
    return detailed_count(organization, filters) if table == DETAILED else 0


def counted(rows: Iterable[Sequence[Cell]], progress: Callable[[int], None] | None) -> Iterator[Sequence[Cell]]:
    """``rows``, calling ``progress`` with the number passed every ``PROGRESS_EVERY`` rows."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress and done % PROGRESS_EVERY:
        progress(done % PROGRESS_EVERY)


class _Echo:
    """A file whose ``write`` returns what it is given: ``csv.writer`` then formats one line at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Cell, decimal: str) -> Cell:
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", decimal)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A title or a name a spreadsheet would run as a formula (CSV injection): shown as typed instead.
        return "'" + value
    return value


def csv_lines(sheet: Sheet, progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """The CSV text of one sheet, in pieces of about a thousand lines, the byte order mark first."""
    decimal = str(get_format("DECIMAL_SEPARATOR"))
    writer = csv.writer(_Echo(), delimiter=";" if decimal == "," else ",")
    yield "\ufeff" + writer.writerow(sheet.headers)
    batch: list[str] = []
    for row in counted(sheet.rows, progress):
        batch.append(writer.writerow([_csv_cell(value, decimal) for value in row]))
        if len(batch) >= 1000:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _xlsx_cell(worksheet: WriteOnlyWorksheet, value: Cell) -> Any:
    if isinstance(value, str) and value.startswith("="):
        # openpyxl stores a text starting with "=" as a formula: kept as text, as typed.
        cell = WriteOnlyCell(worksheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(sheets: Iterable[Sheet], target: IO[bytes], progress: Callable[[int], None] | None = None) -> None:
    """A workbook of ``sheets`` into ``target`` (a file opened for writing). Write-only mode: each sheet's rows go to a
    temporary file as they come, so memory does not grow with them."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(sheet.title))
        header = []
        for label in sheet.headers:
            cell = WriteOnlyCell(worksheet, value=label)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in counted(sheet.rows, progress):
            worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    workbook.save(target)


def _sheet_title(title: str) -> str:
    # Excel's rule: 31 characters at most, none of []:*?/\.
    return "".join(" " if char in "[]:*?/\\" else char for char in title)[:31]


def download_name(organization: Organization, filters: Filters, table: str, file_format: str) -> str:
    period = filters.period
    return f"{organization.slug}-{table}-{period.start.isoformat()}-{period.end.isoformat()}.{file_format}"


def filters_to_json(filters: Filters) -> dict[str, Any]:
    return {
        "start": filters.period.start.isoformat(),
        "end": filters.period.end.isoformat(),
        "programme": filters.programme.pk if filters.programme else None,
        "topic": filters.topic.pk if filters.topic else None,
        "network": filters.network,
    }


def filters_from_json(organization: Organization, data: dict[str, Any]) -> Filters:
    """The filters an export was asked with. A programme or topic deleted since raises ``DoesNotExist``: the export
    fails rather than widen to every programme."""
    return Filters(
        period=Period(date.fromisoformat(data["start"]), date.fromisoformat(data["end"])),
        programme=Programme.objects.get(organization=organization, pk=data["programme"]) if data["programme"] else None,
        topic=Topic.objects.get(organization=organization, pk=data["topic"]) if data["topic"] else None,
        network=data["network"],
    )
