"""zhidu's BPMN/DMN parser: SpiffWorkflow's, with parser classes swapped at its seam."""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.spiff import timer_events as timers

_SPIFF = SpiffBpmnParser.OVERRIDE_PARSER_CLASSES


class ZhiduParser(SpiffBpmnParser):
    """Timers read the engine clock; everything else is SpiffWorkflow's spiff dialect."""

    OVERRIDE_PARSER_CLASSES = {
        **_SPIFF,
        full_tag("startEvent"): (timers.StartEventParser, _SPIFF[full_tag("startEvent")][1]),
        full_tag("intermediateCatchEvent"): (
            timers.IntermediateCatchEventParser, _SPIFF[full_tag("intermediateCatchEvent")][1]),
        full_tag("boundaryEvent"): (timers.BoundaryEventParser, _SPIFF[full_tag("boundaryEvent")][1]),
    }
