"""No case data can poison a case's documents: odd but valid Unicode prints, text left from before the
border limits (a lone surrogate in stored state) is cleaned, a huge value is cut to what a page carries,
and a document that cannot be made is a clean error from the CLI and an incident from the worker."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from test_cases import APPLICANT

from orchestrator.core.config import REPO_ROOT
from orchestrator.gov import documents
from orchestrator.gov.vocabulary import DOCUMENT_KINDS

PERMIT = REPO_ROOT / "processes" / "hr_service_permit"
ODD = "王\u200d小明 𠀀𪚥 Ñoño é\u0301 مرحبا 😀👨‍👩‍👧 ㊙"  # ZWJ, CJK extension B, combining, RTL, emoji


@pytest.fixture
def h(sqlite_harness):
    sqlite_harness.members(clerk=["frontdesk", "renshe", "delivery"])
    sqlite_harness.ow.deploy(PERMIT, publish=True)
    return sqlite_harness


@pytest.fixture
def fresh_font():
    documents.fonts._pdf_font.cache_clear()
    yield
    documents.fonts._pdf_font.cache_clear()


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def refuse(h, reason: str) -> str:
    started = h.ow.start("hr_service_permit", {**APPLICANT, "channel": "网上"})
    h.ow.complete(started["tasks"][0]["id"], "clerk", {"eligible": False, "refuse_reason": reason})
    return started["case_number"]


def test_a_case_with_odd_but_valid_unicode_gets_every_document(h):
    started = h.ow.start("hr_service_permit", {"applicant": {**APPLICANT["applicant"], "name": ODD}})
    number = started["case_number"]
    for kind in DOCUMENT_KINDS:
        html, pdf, filename = h.ow.document(number, kind)
        assert ODD in html, kind
        assert pdf.startswith(b"%PDF") and "小明" in pdf_text(pdf), kind
        assert filename.endswith(".pdf") and number in filename


def test_text_stored_before_the_limits_is_cleaned_not_fatal(h):
    number = refuse(h, "材料不全")
    with h.ow.store.engine.begin() as conn:  # state written before the border refused lone surrogates
        row = conn.execute(text("SELECT id, state FROM process_instance")).first()
        poisoned = row.state.replace("材料不全", "材料\\ud800不全\\u0007")
        conn.execute(
            text("UPDATE process_instance SET state = :s WHERE id = :i"), {"s": poisoned, "i": row.id}
        )
    html, pdf, _ = h.ow.document(number, "refusal")
    assert "材料不全" in html and "材料不全" in pdf_text(pdf)
    html.encode("utf-8")  # nothing left that cannot be written


def test_a_huge_value_is_cut_to_what_a_page_carries(h):
    name = "理" * 60_000  # within the border's string limit; no form caps the start data
    started = h.ow.start("hr_service_permit", {"applicant": {**APPLICANT["applicant"], "name": name}})
    html, pdf, _ = h.ow.document(started["case_number"], "receipt")
    assert "理" * documents.model.MAX_TEXT + "…" in html and "理" * (documents.model.MAX_TEXT + 1) not in html
    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 5


def test_a_document_that_cannot_be_made_is_a_clean_cli_error(h, tmp_path):
    number = refuse(h, "材料不全")
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font" * 10)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env |= {
        "ONEWINDOW_DATABASE_URL": h.ow.settings.database_url,
        "ONEWINDOW_DATA_DIR": str(h.ow.settings.data_dir),
        documents.FONT_ENV: str(bogus),
    }
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "--json", "document", number, "refusal"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    error = json.loads(done.stdout)["error"]
    assert "bogus.ttf" in error["message"]  # what is wrong, in one line


def test_a_document_job_that_fails_ends_as_an_incident_on_the_case(h, monkeypatch, tmp_path, fresh_font):
    started = h.ow.start("hr_service_permit", {**APPLICANT, "channel": "网上"})
    h.ow.complete(started["tasks"][0]["id"], "clerk", {"eligible": True, "complete": True})
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font" * 10)
    monkeypatch.setenv(documents.FONT_ENV, str(bogus))
    main = json.loads((PERMIT / "tests" / "main.json").read_text(encoding="utf-8"))
    for step in main["steps"][1:]:  # the item's own main path, after 收件审查
        task = next(t for t in h.ow.instance(started["instance"])["open_tasks"] if t["name"] == step["task"])
        h.ow.complete(task["id"], "clerk", step.get("data") or {})
    assert h.ow.case(started["case_number"])["status_code"] == 11  # the case closed; its notice is a job
    at = datetime(2099, 1, 1)
    for attempt in range(4):
        h.ow.run_due_jobs(at=at + timedelta(hours=attempt))
    incidents = [i for i in h.ow.incidents() if i["kind"] == "document"]
    assert [i["instance"] for i in incidents] == [started["instance"]]
    assert "bogus.ttf" in incidents[0]["error"]
