"""The adapter over SpiffWorkflow: the only place that imports it. Parsing, compiling,
running one command on a workflow, its stored state, timer events, DMN, and migration of
running instances between versions."""
