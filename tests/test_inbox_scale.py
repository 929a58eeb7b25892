"""The 待签收 page at scale on PostgreSQL: an index walk in due order, never a scan of every task."""

from __future__ import annotations

import sys

import pytest
from conftest import Harness, _truncate
from sqlalchemy import text

from orchestrator.core.config import REPO_ROOT, Settings

sys.path.insert(0, str(REPO_ROOT))  # bench/ is the repository's, not an installed package
from bench import inbox as bench  # noqa: E402

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def loaded(pg_url):
    """20 000 completed and 2 000 open tasks over 400 instances, the demo org and the bench's users."""
    _truncate(pg_url)
    h = Harness(Settings(database_url=pg_url))
    bench.load(h.ow.store.engine, completed=20_000, open_tasks=2_000, instances=400)
    bench.add_users(h.ow)
    yield h
    h.ow.close()
    _truncate(pg_url)


def expected_page(h: Harness, user: str) -> list[int]:
    """The first page by brute force: every open task of the user's memberships, sorted in Python."""
    with h.ow.store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.id, t.due_at FROM human_task t JOIN group_member m"
                " ON m.group_code = t.candidate_group AND t.org_path LIKE m.org_path || '%'"
                " WHERE m.username = :user AND t.state = 'open'"
            ),
            {"user": user},
        ).all()
    return [task_id for task_id, _ in sorted(rows, key=lambda r: (r[1], r[0]))][: bench.PAGE]


@pytest.mark.parametrize("user", list(bench.USERS))
def test_page_one_is_the_soonest_due_of_my_groups_and_places(loaded, user):
    page = loaded.ow.tasks(user, view="group", limit=bench.PAGE)
    places = {group: path for group, path in loaded.ow.memberships(user)}
    assert len(page) == bench.PAGE
    assert [t["id"] for t in page] == expected_page(loaded, user)
    assert [t["due_at"] for t in page] == sorted(t["due_at"] for t in page)
    for task in page:
        assert task["state"] == "open"
        assert task["group"] in places
        assert task["org_path"].startswith(places[task["group"]])


@pytest.mark.parametrize("user", list(bench.USERS))
def test_the_page_query_walks_the_open_task_index(loaded, user):
    statements = bench.inbox_statements(loaded.ow, user)
    assert len(statements) == 2  # the page of ids, then its rows
    with loaded.ow.store.engine.connect() as conn:
        plans = ["\n".join(bench.explain(conn, sql, params)) for sql, params in statements]
    page_plan, rows_plan = plans
    assert "Seq Scan on human_task" not in page_plan + rows_plan, page_plan + rows_plan
    assert "Sort Method" not in page_plan, page_plan  # read in due order: no sort of the open tasks
    assert page_plan.count("Index Only Scan using ix_task_open_group_due") == len(bench.USERS[user]), (
        page_plan
    )
    assert "Index Scan using human_task_pkey" in rows_plan, rows_plan
