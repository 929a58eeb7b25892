"""The REST API fuzzed from its own OpenAPI document (schemathesis): every operation, with an admin's bearer
token, against the live server on loopback, bounded in examples; no answer may be a server error, and every
status code of OneWindow's own operations must be one the document names for the operation (Flask-AppBuilder's
login, refresh and menu endpoints are checked for server errors only: their documents are theirs)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

EXAMPLES = 20  # per operation (about 27 of them): well under a minute on two cores
FRAMEWORK = ("/api/v1/security/", "/api/v1/menu/", "/api/{version}/_openapi")


@pytest.fixture(scope="module")
def api_schema(live, site):
    token = site.token("admin")
    headers = {"Authorization": f"Bearer {token}"}
    loaded = schemathesis.openapi.from_url(f"{live.url}/api/v1/_openapi", headers=headers)
    loaded.config.update(base_url=live.url, headers=headers)
    return loaded


def fuzz(operation) -> str | None:
    """Run one operation's examples; what failed, or None."""
    ours = not operation.path.startswith(FRAMEWORK)
    checks = [not_a_server_error, status_code_conformance] if ours else [not_a_server_error]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same examples every run: reproducible, steady in CI
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def examples(case) -> None:
        response = case.call(timeout=30)
        case.validate_response(response, checks=checks)

    try:
        examples()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation's failure is reported
        return str(exc)[:2000]
    return None


def test_no_api_operation_answers_with_a_server_error(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20  # the document describes the API, not an empty shell
    failures = {op.label: why for op in operations if (why := fuzz(op)) is not None}
    assert not failures, "\n\n".join(f"{label}:\n{why}" for label, why in failures.items())
