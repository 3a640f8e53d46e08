"""How long a page takes, as the benches measure it: p50 and p95 of the whole request, its
query count, and the medians of the time spent in the database and of this process's CPU
time (on a shared machine the wall clock also measures the neighbours)."""

import statistics
import time

from django.db import connection


def measure_page(client, url: str, runs: int) -> tuple[float, float, int, float, float]:
    """``(p50 ms, p95 ms, queries, database p50 ms, CPU p50 ms)`` of ``runs`` GETs of
    ``url`` after one warm-up; the page must answer 200."""
    client.get(url)  # warm caches (templates, permissions)
    executed = []

    def count(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            executed.append(1000 * (time.perf_counter() - started))

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = len(executed)
    timings, database, cpu = [], [], []
    with connection.execute_wrapper(count):
        for _ in range(runs):
            executed.clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(url)
            timings.append(1000 * (time.perf_counter() - started))
            cpu.append(1000 * (time.process_time() - cpu_started))
            database.append(sum(executed))
    timings.sort()
    p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
    return (statistics.median(timings), p95, queries, statistics.median(database),
            statistics.median(cpu))
