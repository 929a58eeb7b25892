"""统计分析 over the API and the command line: a breakdown's rows in JSON, XLSX and CSV hold the same
numbers; what a town's leader sees is their town; bad input is a 422 that names the field and stores
nothing; only admins set the assessment's weights."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta

from openpyxl import load_workbook

from admin.commands import add_user
from orchestrator.core.config import REPO_ROOT

TODAY = (datetime.utcnow() + timedelta(hours=8)).date().isoformat()
LEADER_PASSWORD = "Town-2026-jishigang-chief"
ACCEPT = {"applicant": "张三", "accepted": True, "opinion": "材料齐全"}


def seeded(site) -> None:
    """Three general_approval cases received at 高桥镇 today, two of them accepted."""
    if getattr(site, "_stats_seeded", False):
        return
    for n in range(3):
        started = site.ow.start(
            "general_approval", {"applicant": f"张{n}", "channel": "窗口"}, actor="frontdesk"
        )
        if n < 2:
            task = site.ow.instance(started["instance"])["open_tasks"][0]
            site.ow.claim(task["id"], "frontdesk")
            site.ow.complete(task["id"], "frontdesk", ACCEPT)
    add_user(site.settings, "leader", "Supervisor", LEADER_PASSWORD)
    site.ow.add_member("leader", "command", org="jishigang")
    site._stats_seeded = True


def get(client, url: str, status: int = 200):
    r = client.get(url)
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    return r


def test_a_breakdown_in_json_xlsx_and_csv_holds_the_same_numbers(site):
    seeded(site)
    api = site.api("supervisor")
    query = f"by=department&from={TODAY}&to={TODAY}"
    report = get(api, f"/api/v1/stats/cases?{query}").json
    row = next(r for r in report["rows"] if r["key"] == "minzheng")
    assert (row["name"], row["received"], row["accepted"], row["in_progress"]) == ("民政", 3, 2, 3)
    for name in ("completed", "on_time", "overdue", "on_time_rate", "evaluations", "good_rate", "bad"):
        assert name in row
    assert row["rectified_rate"] is None and report["total"]["received"] >= 3

    book = load_workbook(io.BytesIO(get(api, f"/api/v1/stats/cases.xlsx?{query}").data))
    lines = list(book.active.iter_rows(values_only=True))
    assert "按受理日期" in lines[0][0]
    header = lines[1]
    found = next(line for line in lines[2:] if line[0] == "minzheng")
    assert found[header.index("受理量")] == 2 and found[header.index("收件量")] == 3
    assert found[header.index("名称")] == "民政"

    answer = get(api, f"/api/v1/stats/cases.csv?{query}")
    assert answer.mimetype == "text/csv" and "attachment" in answer.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    found = next(line for line in table[2:] if line[0] == "minzheng")
    assert found[table[1].index("受理量")] == "2"


def test_drill_down_lists_the_cases_behind_a_number(site):
    seeded(site)
    api = site.api("supervisor")
    drilled = get(
        api, f"/api/v1/stats/cases/list?from={TODAY}&to={TODAY}&by=department&key=minzheng&figure=accepted"
    )
    assert drilled.json["count"] == 2 and all(c["case_number"] for c in drilled.json["cases"])


def test_a_town_leader_sees_their_town_and_nothing_else(site):
    seeded(site)
    leader = site.api("leader", LEADER_PASSWORD)
    mine = get(leader, f"/api/v1/stats/cases?by=org&from={TODAY}&to={TODAY}").json
    assert mine["org"] == "/shifanqu/jishigang/" and mine["total"]["received"] == 0
    refused = get(leader, f"/api/v1/stats/cases?by=org&from={TODAY}&to={TODAY}&org=gaoqiao", 403).json
    assert refused["message"]
    district = get(site.api("supervisor"), f"/api/v1/stats/cases?by=org&from={TODAY}&to={TODAY}").json
    assert {r["name"] for r in district["rows"]} >= {"高桥镇"}
    get(site.api("frontdesk"), f"/api/v1/stats/cases?by=org&from={TODAY}&to={TODAY}", 403)


def test_bad_input_is_refused_with_the_field_named(site):
    api = site.api("supervisor")
    assert (
        get(api, f"/api/v1/stats/cases?by=weather&from={TODAY}&to={TODAY}", 422).json["errors"][0]["field"]
        == "by"
    )
    assert get(api, f"/api/v1/stats/cases?by=item&to={TODAY}", 422).json["errors"][0]["field"] == "from"
    assert (
        get(api, f"/api/v1/stats/cases?by=item&from=2026-13-01&to={TODAY}", 422).json["errors"][0]["field"]
        == "from"
    )
    assert (
        get(api, "/api/v1/stats/assessment?level=town&period=soon", 422).json["errors"][0]["field"]
        == "period"
    )


def test_assessment_ranks_and_only_admins_set_its_weights(site):
    seeded(site)
    year = TODAY[:4]
    ranked = get(site.api("supervisor"), f"/api/v1/stats/assessment?level=town&period={year}").json
    assert ranked["settings"] == {
        "weights": {"on_time_rate": 40, "good_rate": 30, "rectified_rate": 30},
        "threshold": 90,
    }
    assert [r["name"] for r in ranked["rows"]] == ["高桥镇"] and ranked["rows"][0]["rank"] == 1
    weights = {"weights": {"on_time_rate": 50, "good_rate": 50}, "threshold": 95}
    assert site.api("supervisor").post("/api/v1/stats/assessment/settings", json=weights).status_code == 403
    admin = site.api("admin")
    bad = admin.post(
        "/api/v1/stats/assessment/settings", json={"weights": {"on_time_rate": 50}, "threshold": 95}
    )
    assert bad.status_code == 422 and "100" in bad.json["errors"][0]["message"]
    assert get(admin, "/api/v1/stats/assessment/settings").json["threshold"] == 90  # nothing stored
    saved = admin.post("/api/v1/stats/assessment/settings", json=weights)
    assert saved.status_code == 200 and saved.json == weights
    assert get(admin, f"/api/v1/stats/assessment?level=town&period={year}").json["settings"] == weights
    admin.post(
        "/api/v1/stats/assessment/settings",
        json={"weights": {"on_time_rate": 40, "good_rate": 30, "rectified_rate": 30}, "threshold": 90},
    )


def test_events_per_platform(site):
    report = get(site.api("supervisor"), f"/api/v1/stats/events?from={TODAY}&to={TODAY}").json
    assert report["total"]["reported"] == 0 and report["rows"] == []


def test_the_command_line_prints_the_same_rows(site):
    seeded(site)
    env = {"ONEWINDOW_DATABASE_URL": site.settings.database_url, "PATH": "/usr/bin:/bin"}
    args = [
        sys.executable,
        "-m",
        "orchestrator.cli",
        "stats",
        "--by",
        "department",
        "--from",
        TODAY,
        "--to",
        TODAY,
    ]
    out = subprocess.run([*args, "--json"], env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    api = get(site.api("supervisor"), f"/api/v1/stats/cases?by=department&from={TODAY}&to={TODAY}").json
    assert printed["rows"] == api["rows"]
    text = subprocess.run(args, env=env, capture_output=True, text=True, cwd=REPO_ROOT).stdout
    assert "民政" in text and "on_time_rate" in text
    bad = subprocess.run(
        [*args[:-4], "--from", "tomorrow", "--to", TODAY],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert bad.returncode == 2 and "tomorrow" in bad.stderr


def test_the_command_line_without_a_period_counts_this_year_to_today(site):
    seeded(site)
    env = {"ONEWINDOW_DATABASE_URL": site.settings.database_url, "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-m", "orchestrator.cli", "stats", "--by", "department", "--json"]
    out = subprocess.run(args, env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    printed = json.loads(out.stdout)
    assert (printed["start"], printed["end"]) == (TODAY[:4] + "-01-01", TODAY)
    api = get(site.api("supervisor"), f"/api/v1/stats/cases?by=department&from={TODAY[:4]}-01-01&to={TODAY}")
    assert printed["rows"] == api.json["rows"]
