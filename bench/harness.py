"""What every benchmark here shares: a throw-away database, timing one URL, and the printed table."""

import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def throwaway_database(name: str = "relais_bench", *, keep: bool = False) -> Iterator[None]:
    """A database of its own, so a benchmark never touches real data nor the one a running pytest uses; dropped at
    the end unless ``keep``."""
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = None if connection.vendor == "sqlite" else name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        if keep:
            connection.close()
            connection.settings_dict["NAME"] = old_name
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def database_url() -> str:
    """The URL of the database Django is connected to (the throw-away one), for a server or worker process."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def measure(client, path: str, repeats: int, **headers: str) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)  # also warms caches and templates
    # Counted now: the captured list is a view of the connection's log, which the next request clears.
    query_count = len(queries)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        client.get(path, **headers)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return {
        "path": path,
        "status": response.status_code,
        "median": statistics.median(timings),
        "p95": p95,
        "queries": query_count,
    }


def report(results: list[dict[str, object]]) -> int:
    """Print the table; exit status 1 naming the URLs that did not answer 200."""
    width = max(len(str(row["path"])) for row in results) + 2
    print(f"{'URL':<{width}} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for row in results:
        print(
            f"{row['path']:<{width}} {row['status']:>6} {row['median']:>10.1f} {row['p95']:>8.1f} {row['queries']:>8}"
        )
    failing = [str(row["path"]) for row in results if row["status"] != 200]
    if failing:
        print(f"Not 200: {', '.join(failing)}", file=sys.stderr)
    return 1 if failing else 0
