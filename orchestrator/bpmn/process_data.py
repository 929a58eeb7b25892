"""A process's data as BPMN modelers mean it: its own inputs and outputs connected to steps, and data objects
that are also variables.

- BPMN lets a step's data association start at the process's data input (`<process><ioSpecification>
  <dataInput id="From">`) or end at its data output: the value the process was started with flows into the
  step, the step's result becomes what the process gives back. Trisotech, Signavio and W4 draw them so.
  SpiffWorkflow 3.2 keeps a process's ports as variables of the task data, named by their ids (that is how
  it hands them to and from a called process), but its parser resolves an association only to a data object
  or a data store, and refuses the diagram ("Cannot resolve dataInputAssociation"). Here such an association
  resolves to a `ProcessPort`: the value is in every step's data under the port's id already, so reading it
  is a no-op, and so is writing it (what the step wrote stays in its data, for the process's end).
- In Camunda, Trisotech and Signavio a data object is the process variable of its name: a mapping or a form
  that sets `Reason` sets the data object `Reason`. SpiffWorkflow keeps a data object's value apart and
  reads one that no association wrote as None. A `VariableDataObject` that no association wrote yet reads as
  the variable of its name, when the step's data has it; otherwise it behaves as SpiffWorkflow's.
"""

from __future__ import annotations

from copy import deepcopy

from lxml import etree
from SpiffWorkflow.bpmn.serializer.helpers.spec import BpmnDataSpecificationConverter
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataSpecification
from SpiffWorkflow.spiff.parser.process import SpiffProcessParser
from SpiffWorkflow.spiff.serializer.data_spec import DataObjectConverter
from SpiffWorkflow.spiff.specs.data_object import DataObject

from orchestrator.bpmn.namespaces import BPMN

_PORTS = f"{{{BPMN}}}process/{{{BPMN}}}ioSpecification/*"


class ProcessPort(BpmnDataSpecification):
    """A process's data input or output, read or written by a step's data association. Its own id is not the
    variable's (`port:From`): SpiffWorkflow removes an input association's id from the step's data when the
    step ends, and the process's input must stay."""

    def get(self, my_task) -> None:
        """The value is in the task's data under the port's id already (or the process was not given it)."""

    def set(self, my_task) -> None:
        """What the step wrote stays in its data, under the port's id, for the process's end."""

    def delete(self, my_task) -> None:
        """Nothing was copied, so nothing is removed."""


class VariableDataObject(DataObject):
    """A data object that, until an association writes it, is the step's variable of the same name: read
    then, it takes that variable's value (and from then on is kept as SpiffWorkflow keeps data objects)."""

    def get(self, my_task) -> None:
        wf = my_task.workflow
        while wf is not None and self.bpmn_id not in wf.spec.data_objects:
            wf = wf.parent_workflow
        if (
            wf is not None
            and wf.data_objects.get(self.bpmn_id) is None
            and my_task.data.get(self.bpmn_id) is not None
        ):
            wf.data_objects[self.bpmn_id] = deepcopy(
                my_task.data[self.bpmn_id]
            )  # SpiffWorkflow starts them None
        super().get(my_task)


def ports_of(root: etree._Element) -> dict[str, etree._Element]:
    """The document's process-level data inputs and outputs by id."""
    return {
        port.get("id"): port
        for port in root.iterfind(_PORTS)
        if etree.QName(port).localname in ("dataInput", "dataOutput") and port.get("id")
    }


class ProcessParser(SpiffProcessParser):
    """Resolves a data association that names a process's port (SpiffWorkflow looks there for data stores,
    after data objects), as a data store of the port's id; reads data objects as variables too."""

    def __init__(self, p, node, nsmap, data_stores, filename=None, lane=None):
        root = node.getroottree().getroot()
        self._ports = {
            pid: ProcessPort(f"port:{pid}", port.get("name"))
            for pid, port in ports_of(root).items()
            if pid not in data_stores
        }
        self._objects = {o.get("id") for o in root.iter(f"{{{BPMN}}}dataObject")}
        super().__init__(p, node, nsmap, {**data_stores, **self._ports}, filename=filename, lane=lane)

    def get_data_object_reference(self, reference_id):
        found = super().get_data_object_reference(reference_id)
        if found is None and reference_id in self._objects:  # the association names the data object itself
            return etree.Element(f"{{{BPMN}}}dataObjectReference", dataObjectRef=reference_id)
        return found

    def get_data_store_reference(self, reference_id):
        if reference_id in self._ports:
            return etree.Element(f"{{{BPMN}}}dataStoreReference", dataStoreRef=reference_id)
        return super().get_data_store_reference(reference_id)

    def parse_data_object(self, obj):
        spiff = super().parse_data_object(obj)
        return VariableDataObject(spiff.category, spiff.bpmn_id, spiff.bpmn_name)


SERIALIZER_CONFIG = {ProcessPort: BpmnDataSpecificationConverter, VariableDataObject: DataObjectConverter}
