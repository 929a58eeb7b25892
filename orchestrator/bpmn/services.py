"""OneWindow's own service task operators and data store, for diagrams that name no implementation.

- `onewindow/record`, a service task operator (`spiffworkflow:serviceTaskOperator id="onewindow/record"`):
  it calls no system; it records that the step ran, and when, in the task's result variable. `import`
  gives it to a service task drawn in another modeler with no implementation. It takes no parameters, so
  no analyst expression reaches it; the sandbox's script engine is the only one that calls it.
- `onewindow.instance`, a data store (`<bpmn:dataStore name="onewindow.instance">`): its value lives with
  the instance's own data (kept across steps, deleted with the instance), read into a task's data by a
  data input association and written back by a data output association, under the store's id.
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.serializer.helpers.spec import BpmnDataSpecificationConverter
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from orchestrator.bpmn import event_subprocesses, process_data
from orchestrator.core import clock
from orchestrator.core.i18n import _

RECORD = "onewindow/record"
INSTANCE_STORE = "onewindow.instance"
STORES_KEY = "onewindow_data_stores"  # where in the instance's data the stores keep their values


class UnknownOperator(Exception):
    pass


def call(operation_name: str, operation_params: dict[str, Any]) -> str:
    """Run a built-in operator; its result as SpiffWorkflow wants it (JSON text)."""
    if operation_name == RECORD:
        return json.dumps({"operator": RECORD, "recorded_at": clock.now().isoformat(timespec="seconds")})
    raise UnknownOperator(str(_("no service task operator '{operator}' here", operator=operation_name)))


class InstanceDataStore(BpmnDataStoreSpecification):
    """A data store whose value is kept in the top-level instance's data."""

    def _stores(self, my_task) -> dict:
        stores = my_task.workflow.top_workflow.data.setdefault(STORES_KEY, {})
        return stores

    def get(self, my_task) -> None:
        my_task.data[self.bpmn_id] = deepcopy(self._stores(my_task).get(self.bpmn_id))

    def set(self, my_task) -> None:
        if self.bpmn_id not in my_task.data:
            message = f"The data store could not be written; '{self.bpmn_id}' is not in the task's data."
            raise WorkflowDataException(message, my_task, data_output=self)
        self._stores(my_task)[self.bpmn_id] = deepcopy(my_task.data.pop(self.bpmn_id))

    def delete(self, my_task) -> None:
        my_task.data.pop(self.bpmn_id, None)


class Parser(SpiffBpmnParser):
    """SpiffWorkflow's parser, knowing OneWindow's data store, how event sub-processes start, and a step's
    data associations with its process's own inputs and outputs."""

    DATA_STORE_CLASSES = {INSTANCE_STORE: InstanceDataStore}
    PROCESS_PARSER_CLASS = process_data.ProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (
            event_subprocesses.StartEventParser,
            SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1],
        ),
    }


SERIALIZER_CONFIG: dict[Any, Any] = {
    InstanceDataStore: BpmnDataSpecificationConverter,
    **event_subprocesses.SERIALIZER_CONFIG,
    **process_data.SERIALIZER_CONFIG,
}
