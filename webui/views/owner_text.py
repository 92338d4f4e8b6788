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
    "duties": ("职责分离", "Separation of duties"),
    "dutiesHint": ("被排除的人看不到、也不能认领、提交或被转派此任务。",
                   "Whoever is excluded is not offered this task and cannot claim, complete or be given it."),
    "notBy": ("不得由谁办理 (notBy，表达式，如 employee)", "Not to be done by (notBy, an expression, e.g. employee)"),
    "notSameAs": ("须与这些步骤由不同的人办理 (notSameAs，步骤 id，逗号分隔)",
                  "Done by someone other than who did these steps (notSameAs, step ids, comma-separated)"),
    "unknownStep": ("其中有的不是本流程的用户任务 id。", "Some of these are not ids of this process's user tasks."),
    "selfStep": ("不能列出此任务自身。", "Cannot name this task itself."),
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

# Reasons the engine gives in English, in Chinese. Named groups are element ids, form keys,
# field names and the like, kept as given; a group named `reason` is itself a reason and is
# translated in turn. tests/webui/test_problem_reasons.py checks every engine message has one.
_Q = r"['\"](?P<{}>[^'\"]*)['\"]"


def _q(name: str) -> str:
    return _Q.format(name)


_REASONS: list[tuple[re.Pattern[str], str]] = [(re.compile(p + "$"), t) for p, t in [
    # reachability
    (r"this end event cannot be reached from the start event", "从开始事件无法到达这个结束事件"),
    (r"this step cannot be reached from the start event", "从开始事件无法到达这个步骤"),
    (r"this (?P<what>.+) cannot be reached from the start event", "从开始事件无法到达这个 {what}"),
    (r"no path leads from here to an end event: an instance that gets here can never finish",
     "从这里没有通往结束事件的路径：到达这里的实例永远无法结束"),
    (r".*has no outgoing flow and is not an end event", "没有流出的连线，也不是结束事件"),
    # specs
    (r"user task has no formKey property", "用户任务没有 formKey 属性"),
    (r"form " + _q("form") + r" does not exist in forms/", "表单 {form} 不存在"),
    (r"user task is in no lane and names no candidateRoles or assignee",
     "用户任务不在任何泳道中，也没有 candidateRoles 或 assignee"),
    (r"lane " + _q("lane") + r" is not mapped to a role in the catalog", "泳道 {lane} 没有对应的角色"),
    (r"start form " + _q("form") + r" does not exist", "发起表单 {form} 不存在"),
    (r"A multiinstance task must specify a cardinality or a loop input data reference\.?",
     "多实例任务必须指定实例数或循环输入数据"),
    (r"the stored files of this version do not match its hash (?P<hash>\S+): they were altered after deployment",
     "这个版本存储的文件与其哈希 {hash} 不符：部署后被改动过"),
    (r"no executable process with id " + _q("id"), "没有 id 为 {id} 的可执行流程"),
    (r"the model cannot be read: (?P<reason>.*)", "无法读取模型：{reason}"),
    (r"cannot read the form: (?P<reason>.*)", "无法读取表单：{reason}"),
    (r"file is missing from the bundle", "流程包中缺少这个文件"),
    (r"XML is not well-formed: (?P<reason>.*)", "XML 格式不正确：{reason}"),
    (r"the id " + _q("id") + r" is reserved by the engine; rename the element", "id {id} 由引擎保留，请给元素改名"),
    (r"complex gateways are not supported", "不支持复杂网关"),
    (r"compensation is not supported", "不支持补偿"),
    (r"link events are not supported", "不支持链接事件"),
    (r"ad-hoc subprocesses are not supported", "不支持自由子流程（ad-hoc）"),
    (r"empty (?P<kind>\w+)", "{kind}为空"),
    (r"(?P<kind>\w+) refused: (?P<reason>.*)", "{kind}被拒绝：{reason}"),
    (r"(?P<prop>candidateRoles|assignee|dueIn|notBy): (?P<reason>.*)", "{prop}：{reason}"),
    # separation of duties (engine/spiff/duties.py)
    (r"notBy is empty: give an expression naming who may not do this task \(for example employee\)",
     "notBy 为空：请填写一个表达式，给出不得办理此任务的人（例如 employee）"),
    (r"notSameAs names no step: give the ids of the user tasks whose doers may not do this one, separated by "
     r"commas", "notSameAs 没有列出步骤：请填写用户任务的 id（以逗号分隔），办理过这些任务的人不得办理此任务"),
    (r"notSameAs names this task itself \(" + _q("step") + r"\); name the other steps it must be done apart from",
     "notSameAs 列出了此任务自身（{step}）：请列出须由他人办理的其他步骤"),
    (r"notSameAs names " + _q("step") + r", which is not a user task of this process",
     "notSameAs 列出的 {step} 不是本流程的用户任务"),
    # definitions, organisation
    (r"cannot read the catalog: (?P<reason>.*)", "无法读取流程目录：{reason}"),
    (r"(?P<key>\S+): file (?P<file>.+) does not exist", "{key}：文件 {file} 不存在"),
    (r"file does not exist", "文件不存在"),
    (r"cannot read YAML: (?P<reason>.*)", "无法读取 YAML：{reason}"),
    (r"a user has no username", "有一个用户没有用户名"),
    (r"user (?P<user>\S+): unknown role\(s\) (?P<roles>.*)", "用户 {user}：未知的角色 {roles}"),
    (r"user (?P<user>\S+): unknown department (?P<department>.*)", "用户 {user}：未知的部门 {department}"),
    (r"role (?P<role>\S+): unknown department (?P<department>.*)", "角色 {role}：未知的部门 {department}"),
    (r"role (?P<role>\S+): manager must be true or false, not (?P<value>.*)", "角色 {role}：manager 只能是 true 或 false，而不是 {value}"),
    # external tasks (service tasks done by outside programs)
    (r"service task operators \(connectors\) are not supported: name a topic for an external worker instead",
     "不支持服务任务连接器：请为外部工作程序指定一个主题（topic）"),
    (r"service task names no topic \(spiffworkflow property 'topic'\): no external worker could fetch it",
     "服务任务没有指定主题（spiffworkflow 属性 topic）：外部工作程序无法领取它"),
    (r"service task topic is over (?P<n>\S+) characters", "服务任务的主题超过 {n} 个字符"),
    (r"result form (?P<form>.+) does not exist in forms/", "结果表单 {form} 在 forms/ 中不存在"),
    (r"retries must be a whole number from 1 to (?P<n>\S+), not (?P<value>.*)", "重试次数必须是 1 到 {n} 之间的整数，而不是 {value}"),
    # subjects
    (r"(?P<key>\S+): subject needs a (?P<lang>\w+) template", "{key}：主题需要 {lang} 模板"),
    (r"(?P<key>\S+): subject \((?P<lang>\w+)\) is malformed: (?P<reason>.*)", "{key}：主题（{lang}）格式有误：{reason}"),
    (r"(?P<key>\S+): subject \((?P<lang>\w+)\) names \{(?P<name>[^}]*)\}, which no form of the procedure has",
     "{key}：主题（{lang}）引用了 {{{name}}}，但这个流程的表单都没有这个字段"),
    # forms, widgets, distinct, confidential
    (r"the form has no key", "表单没有 key"),
    (r"the form needs a title in zh and en", "表单需要中文和英文标题"),
    (r"the schema is not valid JSON Schema: (?P<reason>.*)", "schema 不是有效的 JSON Schema：{reason}"),
    (r"ui\.order names " + _q("field") + r", which is not a property", "ui.order 中的 {field} 不是表单的属性"),
    (r"field " + _q("field") + r" needs a label in zh and en", "字段 {field} 需要中文和英文标签"),
    (r"field " + _q("field") + r" is confidential but names no clearance role", "字段 {field} 是保密字段，但没有指定可查看的角色"),
    (r"field " + _q("field") + r" has unknown widget " + _q("widget"), "字段 {field} 的控件 {widget} 不存在"),
    (r"field " + _q("field") + r": the property must be a schema mapping", "字段 {field}：属性必须是一个 schema 映射"),
    (r"field " + _q("field") + r": no widget can carry a property of this type \((?P<type>[^)]*)\)",
     "字段 {field}：没有控件能承载这种类型（{type}）的属性"),
    (r"field " + _q("field") + r": (?P<keyword>\S+) must be a role key or a list of them",
     "字段 {field}：{keyword} 必须是一个角色键或角色键的列表"),
    (r"field " + _q("field") + r": (?P<reason>.*)", "字段 {field}：{reason}"),
    (r"form (?P<form>\S+): (?P<reason>.*)", "表单 {form}：{reason}"),
    (r"(?P<keyword>\S+) must be a list of lists of field names", "{keyword} 必须是由字段名列表组成的列表"),
    (r"(?P<keyword>\S+) names " + _q("field") + r", which is not a field of the form", "{keyword} 中的 {field} 不是这个表单的字段"),
    # misexecuted
    (r"eventDefinitionRef is not supported: the engine ignores it and the event would behave as a plain event; "
     r"put the event definition inside the event",
     "不支持 eventDefinitionRef：引擎会忽略它，事件将当作普通事件处理；请把事件定义放在事件内部"),
    (r"signal end events are not supported: the engine would end there without sending the signal",
     "不支持信号结束事件：引擎会在那里结束而不发送信号"),
    (r"error start events of event subprocesses are not supported: .*",
     "不支持事件子流程的错误开始事件：即使事件子流程处理了错误，引擎也会让错误作为未捕获错误离开流程"),
    (r"signal start events of event subprocesses are not supported: .*",
     "不支持事件子流程的信号开始事件：发送信号时引擎不会启动事件子流程"),
    (r"conditional start events of event subprocesses are not supported: .*",
     "不支持事件子流程的条件开始事件：条件成立时引擎不会启动事件子流程"),
    (r"interrupting escalation start events of event subprocesses are not supported: .*",
     "不支持事件子流程的中断型升级开始事件：引擎不会中断引发升级的工作"),
    (r"interrupting conditional boundary events are not supported: .*",
     "不支持中断型条件边界事件：条件成立时引擎不会中断活动"),
    (r"an interrupting (?P<kind>\w+) boundary event caught from inside its own activity \((?P<inside>[^)]*)\) "
     r"is not supported: .*",
     "不支持从自身活动内部（{inside}）捕获的中断型 {kind} 边界事件：引擎会在抛出后继续运行，而不是中断活动"),
    (r"multi-instance behavior " + _q("behavior") + r" is not supported: .*",
     "不支持多实例行为 {behavior}：引擎会忽略它，实例完成时也不抛出事件；只支持默认的 'All'"),
    (r"loopCardinality (?P<value>\S+) is negative: .*", "loopCardinality {value} 为负数：活动不能运行负数次"),
    (r"loopMaximum (?P<value>\S+) is negative: .*", "loopMaximum {value} 为负数：循环不能运行负数次"),
    (r"(?P<attribute>\w+)=" + _q("value") + r" is not supported: .*",
     "不支持 {attribute}={value}：引擎的每个活动总是消耗并产生一个令牌"),
    (r"a (?P<tag>\w+) from the task's (?P<io>\w+) " + _q("end") + r" to a data object is not supported: .*",
     "不支持从任务的 {io} {end} 到数据对象的 {tag}：引擎按名称绑定数据对象，不会在它们之间映射"),
    (r"calling the global task " + _q("task") + r" is not supported: .*",
     "不支持调用全局任务 {task}：调用活动只能调用流程"),
    (r"(?P<count>\S+) sequence flows leave this activity \(a split without a gateway\), which is not supported: .*",
     "有 {count} 条顺序流离开这个活动（没有网关的分支），不支持这样做：请在它后面加一个排他、包容或并行网关"),
]]
_KINDS = {"script": "脚本", "expression": "表达式"}
_FALLBACK = "模型有误："


def _translate(reason: str) -> str | None:
    for pattern, text in _REASONS:
        found = pattern.match(reason)
        if found:
            parts = {k: v or "" for k, v in found.groupdict().items()}
            if "kind" in parts:
                parts["kind"] = _KINDS.get(parts["kind"], parts["kind"])
            if "reason" in parts:
                parts["reason"] = _translate(parts["reason"]) or parts["reason"]
            return text.format(**parts)
    return None


def problem_reason(reason: str, lang: str) -> str:
    """`reason` in `lang`: in Chinese when zhidu knows it, else the engine's English behind a Chinese lead-in."""
    if lang != "zh":
        return reason
    return _translate(reason) or _FALLBACK + reason
    for pattern, text in _REASONS:
        found = pattern.match(reason)
        if found:
            return text.format(**found.groupdict())
    return reason
