"""The owner pages' interface messages (zh, en), added to the shared message table; the
editor's own labels; and the validation reasons zhidu knows how to say in Chinese."""

from __future__ import annotations

import re

from webui.i18n import MESSAGES, translate

OWNER_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.owner": ("流程设计", "Procedures"),
    "owner.title": ("流程与版本", "Procedures and versions"),
    "owner.new": ("新建流程", "New procedure"),
    "owner.key": ("流程标识", "Key"),
    "owner.name_zh": ("中文名称", "Name (Chinese)"),
    "owner.name_en": ("英文名称", "Name (English)"),
    "owner.upload": ("上传 BPMN 文件（可选）", "Upload a .bpmn file (optional)"),
    "owner.create": ("打开编辑器", "Open the editor"),
    "owner.edit": ("编辑", "Edit"),
    "owner.compare": ("版本比较", "Compare"),
    "owner.migrate": ("迁移实例", "Migrate instances"),
    "owner.versions": ("版本历史", "Version history"),
    "owner.version": ("版本", "Version"),
    "owner.deployed_by": ("发布人", "Deployed by"),
    "owner.deployed_at": ("发布时间", "Deployed at"),
    "owner.comment": ("说明", "Comment"),
    "owner.hash": ("内容哈希", "Content hash"),
    "owner.editor": ("流程编辑器", "Procedure editor"),
    "owner.validate": ("检查", "Validate"),
    "owner.deploy": ("发布新版本", "Deploy as new version"),
    "owner.comment_placeholder": ("本次修改说明", "What changed and why"),
    "owner.element": ("所选元素", "Selected element"),
    "owner.nothing_selected": ("在图中选择一个元素以编辑其属性。", "Select an element on the diagram to edit it."),
    "owner.lanes": ("泳道 → 角色", "Lanes → roles"),
    "owner.procedure": ("流程信息", "Procedure"),
    "owner.starters": ("可发起的角色", "Roles that may start it"),
    "owner.clauses": ("制度条款", "Regulation clauses"),
    "owner.start_form": ("发起表单", "Start form"),
    "owner.forms": ("表单", "Forms"),
    "owner.add_form": ("新建表单", "Add a form"),
    "owner.preview": ("预览", "Preview"),
    "owner.problems": ("检查结果", "Problems"),
    "owner.no_problems": ("没有发现问题。", "No problems found."),
    "owner.old": ("旧版本", "Older version"),
    "owner.new_version": ("新版本", "Newer version"),
    "owner.show": ("比较", "Compare"),
    "owner.added": ("新增", "Added"),
    "owner.changed": ("修改", "Changed"),
    "owner.removed": ("删除", "Removed"),
    "owner.no_changes": ("两个版本的流程图相同。", "The diagrams of the two versions are the same."),
    "owner.forms_changed": ("表单变化", "Forms"),
    "owner.decisions_changed": ("决策表变化", "Decision tables (DMN)"),
    "owner.catalog_changed": ("目录字段变化", "Catalog fields"),
    "owner.legend": ("绿色：新增；橙色：修改", "Green: added; orange: changed"),
    "owner.target": ("目标版本", "Target version"),
    "owner.dry_run": ("试运行：列出可迁移的实例", "Dry run: which instances can move"),
    "owner.no_instances": ("没有其他版本上的进行中实例。", "No running instance is on another version."),
    "owner.movable": ("可迁移", "can move"),
    "owner.blocked": ("不可迁移", "cannot move"),
    "owner.move": ("迁移", "Move"),
    "owner.migrated": ("实例 {instance} 已迁移到版本 {version}。", "Instance {instance} moved to version {version}."),
    "owner.not_migrated": ("实例 {instance} 无法迁移：{reasons}", "Instance {instance} cannot move: {reasons}"),
    "owner.move_selected": ("迁移所选实例", "Move the selected instances"),
    "owner.select_all": ("全选可迁移实例", "Select all that can move"),
    "owner.confirm_move": ("我确认将所选实例迁移到目标版本（每个迁移单独记入其历史）",
                           "I confirm: move the selected instances to the target version (each move is journaled)"),
    "owner.choose_and_confirm": ("请选择要迁移的实例并勾选确认。", "Choose the instances to move and tick the confirmation."),
    "owner.payload_invalid": ("提交的内容有误：字段 {field} 应为{expected}。",
                              "The editor sent a wrong value: {field} must be {expected}."),
    "owner.expected.json_object": ("一个 JSON 对象", "a JSON object"),
    "owner.expected.object": ("一个对象（名称 → 值）", "an object (name → value)"),
    "owner.expected.text": ("文本", "text"),
    "owner.expected.list": ("文本列表", "a list of texts"),
    "owner.expected.procedure_key": ("流程标识（小写字母、数字和 _）", "a procedure key (lowercase letters, digits and _)"),
    "owner.severity.error": ("错误", "error"),
    "owner.severity.warning": ("警告", "warning"),
    "owner.warnings_reason": ("忽略警告的理由", "Reason for deploying despite the warnings"),
    "owner.accepted_warnings": ("发布时已确认的警告", "Warnings accepted at deploy"),
    "owner.no_draft": ("没有保存的草稿。", "There is no saved draft."),
    "owner.type": ("类型", "Type"),
    "owner.name": ("名称", "Name"),
    "owner.field": ("属性", "Field"),
    "owner.before_after": ("修改前 → 修改后", "Before → after"),
    "owner.form_problems": ("表单有问题", "The form has problems"),
}
MESSAGES.update(OWNER_MESSAGES)

# The editor's panel, status line and dialogs (editor.js reads them from the page's data).
EDITOR_LABELS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"),
    "formKey": ("表单 (formKey)", "Form (formKey)"),
    "candidateRoles": ("候选角色表达式 (candidateRoles)", "Candidate roles expression (candidateRoles)"),
    "assignee": ("指定处理人表达式 (assignee)", "Assignee expression (assignee)"),
    "dueIn": ("办理时限 (dueIn，如 PT24H)", "Due in (dueIn, e.g. PT24H)"),
    "script": ("脚本 (Python)", "Script (Python)"),
    "condition": ("条件表达式", "Condition"),
    "timer": ("定时器", "Timer"),
    "timerText": ("定时器文本 (ISO 8601)", "Timer text (ISO 8601)"),
    "timeDuration": ("时长 (timeDuration)", "Duration (timeDuration)"),
    "timeDate": ("时间点 (timeDate)", "Date (timeDate)"),
    "timeCycle": ("周期 (timeCycle)", "Cycle (timeCycle)"),
    "role": ("泳道对应角色", "Role of this lane"),
    "executable": ("可执行（zhidu 运行此流程）", "Executable (zhidu runs this process)"),
    "badDuration": ("应为 ISO 8601 时长，如 PT24H 或 P3D。", "Must be an ISO 8601 duration such as PT24H or P3D."),
    "unknownForm": ("没有这个表单：请在右侧“表单”中新建。", "No such form: add it under Forms on the right."),
    "unknownRole": ("没有这个角色。", "No such role."),
    "required": ("必填。", "Required."),
    "checking": ("正在检查……", "Checking…"),
    "valid": ("没有错误。", "No errors."),
    "errors": ("{n} 个错误", "{n} errors"),
    "refused": ("有错误，未发布。", "Not deployed: there are errors."),
    "needsReason": ("检查给出了警告。若仍要发布，请填写理由后点击“仍然发布”。",
                    "Validation warns. To deploy anyway, give a reason and click Deploy anyway."),
    "deployAnyway": ("仍然发布", "Deploy anyway"),
    "reason": ("理由", "Reason"),
    "reasonRequired": ("请填写理由。", "Give a reason."),
    "saveDraft": ("保存草稿", "Save draft"),
    "loadDraft": ("载入草稿", "Load draft"),
    "discardDraft": ("丢弃草稿", "Discard draft"),
    "draftSaved": ("草稿已保存（{at}）。", "Draft saved ({at})."),
    "draftLoaded": ("已载入 {at} 保存的草稿。", "Loaded the draft saved {at}."),
    "draftDiscarded": ("草稿已丢弃。", "Draft discarded."),
    "draftExists": ("你有一份 {at} 保存的草稿。", "You have a draft saved {at}."),
    "unsaved": ("有未保存的修改", "Unsaved changes"),
    "failed": ("请求失败：{status}", "The request failed: {status}"),
}


def editor_labels(lang: str) -> dict[str, str]:
    """The editor's labels in `lang`."""
    return {key: translate(f"owner.editor.{key}", lang) for key in EDITOR_LABELS}


MESSAGES.update({f"owner.editor.{key}": pair for key, pair in EDITOR_LABELS.items()})

# Reasons the engine gives in English that zhidu can say in Chinese (the rest are shown as given).
_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"this end event cannot be reached from the start event$"), "从开始事件无法到达这个结束事件"),
    (re.compile(r"this step cannot be reached from the start event$"), "从开始事件无法到达这个步骤"),
    (re.compile(r"no path leads from here to an end event: an instance that gets here can never finish$"),
     "从这里没有通往结束事件的路径：到达这里的实例永远无法结束"),
    (re.compile(r"has no outgoing flow and is not an end event$"), "没有流出的连线，也不是结束事件"),
    (re.compile(r"user task has no formKey property$"), "用户任务没有 formKey 属性"),
    (re.compile(r"form '(?P<form>[^']+)' does not exist in forms/$"), "表单 {form} 不存在"),
    (re.compile(r"user task is in no lane and names no candidateRoles or assignee$"),
     "用户任务不在任何泳道中，也没有 candidateRoles 或 assignee"),
    (re.compile(r"lane '(?P<lane>[^']+)' is not mapped to a role in the catalog$"), "泳道 {lane} 没有对应的角色"),
    (re.compile(r"start form '(?P<form>[^']+)' does not exist$"), "发起表单 {form} 不存在"),
    (re.compile(r"A multiinstance task must specify a cardinality or a loop input data reference\.?$"),
     "多实例任务必须指定实例数或循环输入数据"),
]


def problem_reason(reason: str, lang: str) -> str:
    """`reason` in `lang` when zhidu knows it, else as the engine gave it."""
    if lang != "zh":
        return reason
    for pattern, text in _REASONS:
        found = pattern.match(reason)
        if found:
            return text.format(**found.groupdict())
    return reason
