"""The XML namespaces of BPMN 2.0 and of the extensions OneWindow reads or translates, written once."""

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
FLOWABLE = "http://flowable.org/bpmn"
ACTIVITI = "http://activiti.org/bpmn"
TRISO = "http://www.trisotech.com/2015/triso/modeling"
ENGINE_NAMESPACES = (CAMUNDA, FLOWABLE, ACTIVITI)  # engines whose attributes name a task's implementation
