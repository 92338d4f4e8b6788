"""Comparing two versions element by element."""

from __future__ import annotations

from dataclasses import replace

from engine.definitions.bundles import load_catalog
from engine.definitions.diff import diff_versions
from tests.conftest import FORMS, PROCESSES


def complaint():
    return next(b for b in load_catalog(PROCESSES, FORMS) if b.key == "complaint_handling")


def edited(bundle, old: str, new: str, **files):
    text = bundle.files[bundle.entry.bpmn]
    assert old in text
    return replace(bundle, files={**bundle.files, bundle.entry.bpmn: text.replace(old, new), **files})


def test_the_same_version_has_no_differences():
    assert diff_versions(complaint(), complaint()).empty


def test_a_renamed_task_and_a_new_condition_are_changes():
    old = complaint()
    new = edited(old, 'name="调查核实 Investigate and verify"', 'name="调查 Investigate"')
    new = edited(new, "founded == True", "founded == True and severity != 'low'")
    diff = diff_versions(old, new)
    changed = {c.element: c for c in diff.of_kind("changed")}
    assert changed["Task_Verify"].fields["name"] == ("调查核实 Investigate and verify", "调查 Investigate")
    assert "condition" in changed["Flow_Founded_Yes"].fields
    assert not diff.of_kind("added") and not diff.of_kind("removed")


def test_an_inserted_step_is_added_and_its_neighbours_change_connections():
    old = complaint()
    step = ('<bpmn:userTask id="Task_Check" name="复核 Double-check"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="formKey" value="complaint_verify" /></spiffworkflow:properties>'
            '</bpmn:extensionElements></bpmn:userTask>'
            '<bpmn:sequenceFlow id="Flow_Check_Verify" sourceRef="Task_Check" targetRef="Task_Verify" />')
    new = edited(old, '<bpmn:sequenceFlow id="Flow_Record_Verify" sourceRef="Task_Record" targetRef="Task_Verify" />',
                 '<bpmn:sequenceFlow id="Flow_Record_Verify" sourceRef="Task_Record" targetRef="Task_Check" />' + step)
    diff = diff_versions(old, new)
    assert {c.element for c in diff.of_kind("added")} == {"Task_Check", "Flow_Check_Verify"}
    changed = {c.element: c for c in diff.of_kind("changed")}
    assert changed["Flow_Record_Verify"].fields["target"] == ("Task_Verify", "Task_Check")
    assert set(changed["Task_Verify"].fields) == {"incoming"}
    added = next(c for c in diff.of_kind("added") if c.element == "Task_Check")
    assert added.type == "userTask" and added.name == "复核 Double-check"


def test_removed_elements_forms_and_catalog_fields_are_listed():
    old = complaint()
    text = old.files[old.entry.bpmn]
    new = replace(old, entry=replace(old.entry, lanes={**old.entry.lanes, "X": "director"}),
                  files={**{k: v for k, v in old.files.items() if k != "forms/complaint_review.yaml"},
                         old.entry.bpmn: text.replace('<bpmn:sequenceFlow id="Flow_Review_End" sourceRef="Task_Review" targetRef="End_Closed" />', "")})
    diff = diff_versions(old, new)
    assert [c.element for c in diff.of_kind("removed")] == ["Flow_Review_End"]
    assert diff.forms == {"complaint_review": "removed"}
    assert set(diff.catalog) == {"lanes"}
    assert diff.to_dict()["elements"][0]["kind"] in {"changed", "removed"}


def test_timer_script_and_property_changes_are_seen():
    old = complaint()
    new = edited(old, "PT24H", "PT48H")
    changed = {c.element: c for c in diff_versions(old, new).of_kind("changed")}
    assert any("timer" in c.fields or "properties" in c.fields for c in changed.values())


def test_changed_decision_tables_are_listed():
    from dataclasses import replace

    from engine.definitions.bundles import load_catalog
    from engine.definitions.diff import diff_versions
    from tests.conftest import FORMS, PROCESSES

    [campaign] = load_catalog(PROCESSES, FORMS, only={"campaign_planning"})
    [dmn] = campaign.entry.dmn
    edited = replace(campaign, files={**campaign.files, dmn: campaign.files[dmn].replace("50000", "60000")})
    diff = diff_versions(campaign, edited)
    assert diff.decisions == {dmn: "changed"} and not diff.empty
    assert diff_versions(campaign, campaign).empty


def training():
    return next(b for b in load_catalog(PROCESSES, FORMS) if b.key == "training")


def test_a_dropped_loop_input_is_a_change_of_the_multi_instance_task():
    """The editor once dropped loopDataInputRef on save; the comparison must see that."""
    old = training()
    new = edited(old, "<bpmn:loopDataInputRef>participants</bpmn:loopDataInputRef>", "")
    changed = {c.element: c for c in diff_versions(old, new).of_kind("changed")}
    before, after = changed["Task_Evaluate"].fields["loop"]
    assert "loopDataInputRef(participants)" in before and "participants" not in after


def test_post_scripts_and_called_decisions_are_compared():
    old = training()
    new = edited(old, "<spiffworkflow:calledDecisionId>training_result</spiffworkflow:calledDecisionId>",
                 "<spiffworkflow:calledDecisionId>other_table</spiffworkflow:calledDecisionId>")
    new = edited(new, "evaluation = {'participant': participant,", "evaluation = {'who': participant,")
    changed = {c.element: c for c in diff_versions(old, new).of_kind("changed")}
    assert changed["Task_Assess"].fields["calledDecisionId"] == ("training_result", "other_table")
    assert "postScript" in changed["Task_Evaluate"].fields


def test_layout_of_the_loop_does_not_count_as_a_change():
    old = training()
    new = edited(old, '<bpmn:multiInstanceLoopCharacteristics spiffworkflow:scriptsOnInstances="true">',
                 '<bpmn:multiInstanceLoopCharacteristics\n   spiffworkflow:scriptsOnInstances="true"  >')
    assert diff_versions(old, new).empty
