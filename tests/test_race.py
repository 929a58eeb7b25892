"""Two processes complete the same task at the same moment: exactly one wins, nothing is applied twice."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from diagrams import approval
from sqlalchemy import text

from orchestrator.core.config import Settings

ROUNDS = {"postgres": 200, "sqlite": 50}


def _racer(url: str, forms_dir: str, task_ids: list[int], barrier, results) -> None:
    from orchestrator.core.errors import Conflict
    from orchestrator.service import OneWindow

    ow = OneWindow(Settings(database_url=url, forms_dir=forms_dir))
    outcomes = []
    for task_id in task_ids:
        barrier.wait(timeout=60)
        try:
            ow.complete(task_id, "clerk", {"note": "抢办"})
            outcomes.append((task_id, "won"))
        except Conflict as exc:
            outcomes.append(
                (
                    task_id,
                    "conflict"
                    if "no longer open" in str(exc) or "same time" in str(exc)
                    else f"conflict?{exc}",
                )
            )
        except Exception as exc:  # noqa: BLE001 - any other outcome fails the test below
            outcomes.append((task_id, f"error:{type(exc).__name__}:{exc}"))
    ow.close()
    results.put(outcomes)


@pytest.mark.slow
def test_two_processes_completing_one_task_exactly_one_wins(harness, tmp_path):
    backend = "postgres" if harness.ow.store.is_postgres else "sqlite"
    rounds = ROUNDS[backend]
    harness.members(clerk=["frontdesk", "minzheng"])
    path = tmp_path / "race.bpmn"
    path.write_text(approval(second_condition="x == 1"))
    harness.ow.deploy(path, publish=True)
    task_ids = [harness.ow.start("approval")["tasks"][0]["id"] for _ in range(rounds)]
    with harness.ow.store.engine.connect() as conn:
        started_versions = conn.execute(text("SELECT DISTINCT version FROM process_instance")).scalars().all()

    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    args = (harness.settings.database_url, str(harness.settings.forms_dir), task_ids, barrier, results)
    procs = [ctx.Process(target=_racer, args=args) for _ in range(2)]
    for p in procs:
        p.start()
    outcomes = results.get(timeout=600) + results.get(timeout=600)
    for p in procs:
        p.join(timeout=60)

    by_task: dict[int, list[str]] = {}
    for task_id, outcome in outcomes:
        by_task.setdefault(task_id, []).append(outcome)
    assert len(by_task) == rounds
    assert all(sorted(o) == ["conflict", "won"] for o in by_task.values()), [
        o for o in by_task.values() if sorted(o) != ["conflict", "won"]
    ][:5]

    with harness.ow.store.engine.connect() as conn:
        completions = conn.execute(
            text("SELECT task_id, count(*) FROM audit_event WHERE action = 'complete' GROUP BY task_id")
        ).all()
        per_instance = conn.execute(
            text("SELECT instance_id, count(*) FROM human_task GROUP BY instance_id")
        ).all()
        versions = conn.execute(text("SELECT DISTINCT version FROM process_instance")).scalars().all()
    assert len(completions) == rounds and all(n == 1 for _, n in completions)
    assert all(n == 2 for _, n in per_instance)  # one completed accept + exactly one review, never two
    assert versions == [started_versions[0] + 1]  # every instance stepped exactly once
