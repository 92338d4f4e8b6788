"""The XML namespaces of the BPMN files zhidu reads: the standard's model and SpiffWorkflow's
extensions. Defined here once; everything that reads or writes BPMN imports them."""

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
