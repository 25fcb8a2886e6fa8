"""The bench (``make bench``): its pages run a constant number of SQL queries whatever the program's size.

The test seeds with the bench's own seed and measures with the bench's own page list and request
function, so the bench and this test cannot drift apart.
"""

from bench import pages, report, seed
from bench.app import add_trivial_route


def test_every_bench_page_runs_the_same_number_of_queries_at_two_sizes(app):
    add_trivial_route(app)
    measured = [pages.TRIVIAL, *pages.PAGES]
    counts = {}
    for trainees in (3, 12):
        seed.reset(keep_content=True)  # the courses are imported once, by the first seed
        world = seed.seed(seed.tiny(trainees))
        assert world.rows["user"] == 1 + 2 * world.scale.cohorts + trainees
        counts[trainees] = pages.query_counts(app, world, measured)
    assert set(counts[3]) == {page.key for page in measured}
    assert counts[3]["trivial"] == 0  # the baseline touches no database
    assert counts[3] == counts[12]


def _figures(queries, p95, qmax=None):
    return {"queries": queries, "queries_min": queries, "queries_max": qmax or queries, "median_ms": p95 / 2,
            "p95_ms": p95}


def test_the_report_says_which_target_is_missed_and_by_how_much():
    small = {page.key: _figures(5, 10.0) for page in [pages.TRIVIAL, *pages.PAGES]}
    large = {page.key: _figures(5, 10.0) for page in [pages.TRIVIAL, *pages.PAGES]}
    large["mentor_queue"] = _figures(5, 60.0)
    large["review"] = _figures(7, 20.0)
    large["pdf_first"] = _figures(5, 450.0)
    routes = {page.key: {"requests_per_s": 500.0, "ratio": 0.5, "non_2xx_3xx": 0, "socket_errors": 0}
              for page in pages.PAGES if page.load}
    routes["lesson"].update(requests_per_s=400.0, ratio=0.4)
    database = {
        "scales": [{"scale": {"name": "small"}, "pages": small}, {"scale": {"name": "large"}, "pages": large}],
        "load": {"routes": routes, "trivial": {"requests_per_s": 1000.0}},
    }
    rows, misses = report.evaluate(database)
    assert misses == [
        "Lesson: 0.40 of the trivial route's throughput against the 0.50 target, 0.10 (20%) short",
        "Mentor review queue: p95 60.0 ms against the 50 ms target, 10.0 ms (20%) over",
        "Review page: not a constant number of queries (5 at small, 7 at large)",
    ]
    by_key = {row["key"]: row for row in rows}
    assert by_key["pdf_first"]["p95_met"] is True  # its own target: 500 ms
    assert by_key["verify"]["ratio_met"] is True
