"""Shared forms (forms/): a unit's form includes one, or part of one, with `$ref`; deploying puts it in place,
and a missing or self-including form is refused with nothing stored."""

from __future__ import annotations

import json
import shutil

import pytest

from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.core.errors import InvalidInput
from orchestrator.service import OneWindow


@pytest.fixture
def ow(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'forms.db'}", data_dir=tmp_path / "data")
    with OneWindow(settings) as found:
        found.upgrade()
        yield found


def unit_with(tmp_path, **fields) -> str:
    folder = tmp_path / "promised"
    shutil.copytree(REPO_ROOT / "templates" / "promised", folder)
    review = folder / "forms" / "review.schema.json"
    doc = json.loads(review.read_text(encoding="utf-8"))
    doc["properties"].update(fields)
    review.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(folder)


def test_a_form_includes_a_shared_form_and_a_part_of_another(ow, tmp_path):
    path = unit_with(
        tmp_path,
        applicant={"$ref": "applicant.schema.json", "title": "复核的申请人"},
        members={"$ref": "family.schema.json#/properties/members"},
    )
    ow.deploy(path)
    review = ow.definition("tpl_promised", 1)["forms"]["review.schema.json"]
    applicant = review["properties"]["applicant"]
    assert (
        applicant["title"] == "复核的申请人"
        and applicant["properties"]["id_number"]["format"] == "cn-id-number"
    )
    assert "$ref" not in json.dumps(review) and "$schema" not in applicant
    assert review["properties"]["members"]["items"]["properties"]["relation"]["enum"][0] == "本人"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"$ref": "nosuch.schema.json"}, "nosuch.schema.json was not found"),
        ({"$ref": "review.schema.json"}, "review.schema.json includes itself"),
        ({"$ref": "family.schema.json#/properties/nothing"}, "does not point at a part of the form"),
    ],
)
def test_a_bad_include_is_refused_and_nothing_is_stored(ow, tmp_path, field, message):
    with pytest.raises(InvalidInput, match=message):
        ow.deploy(unit_with(tmp_path, other=field))
    assert ow.definitions() == []
