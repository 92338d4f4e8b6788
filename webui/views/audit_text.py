"""Chinese and English for the auditor's pages, merged into the interface messages."""

from __future__ import annotations

from webui.i18n import MESSAGES

AUDIT_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "nav.audit": ("审计", "Audit"),
    "audit.search_title": ("审计：查找流程实例", "Audit: find instances"),
    "audit.any": ("全部", "Any"),
    "audit.anyone": ("任何人", "Anyone"),
    "audit.started_from": ("发起日期（起）", "Started on or after"),
    "audit.started_to": ("发起日期（止）", "Started on or before"),
    "audit.participant": ("参与人（发起或办理）", "Participant (started or acted)"),
    "audit.data_value": ("数据值", "Data value"),
    "audit.data_hint": ("字段名=值，例如 category=billing；是/否写作 true/false。",
                        "field=value, e.g. category=billing; yes/no as true/false."),
    "audit.search": ("查找", "Search"),
    "audit.clear": ("清除条件", "Clear"),
    "audit.found": ("找到 {total} 个实例，第 {page}/{pages} 页", "{total} instances, page {page} of {pages}"),
    "audit.none_found": ("没有符合条件的流程实例。", "No instance matches."),
    "audit.bad_date": ("日期格式应为 年-月-日。", "Dates must be written year-month-day."),
    "audit.bad_data": ("数据值应写作 字段名=值。", "Write the data value as field=value."),
    "audit.instance_title": ("审计：流程实例", "Audit: instance"),
    "audit.back": ("← 返回查找", "← Back to the search"),
    "audit.verify": ("校验", "Verify"),
    "audit.export": ("导出", "Export"),
    "audit.verdict.ok": ("校验通过：记录完整，重放结果与存储一致", "Verified: the journal is intact and replays to the stored state"),
    "audit.verdict.ok_detail": ("哈希链完整，重放每条命令得到的结果与日志记录及当前存储的实例、任务完全一致。",
                                "The hash chain holds, and replaying every command gives exactly the recorded "
                                "outcomes and the stored instance and task rows."),
    "audit.verdict.tampered": ("记录被篡改：第 {entry} 条", "Tampered at entry {entry}"),
    "audit.verdict.diverged": ("重放不一致：第 {entry} 条", "Diverged at entry {entry}"),
    "audit.element": ("流程元素", "Element"),
    "audit.field": ("字段", "Field"),
    "audit.recorded": ("记录值", "Recorded"),
    "audit.replayed": ("重放值", "Replayed"),
    "audit.reason": ("说明", "Reason"),
    "audit.step_through": ("逐步回放", "Step through"),
    "audit.legend": ("蓝色：当时等待中；绿色：当时已完成；黄色底：本步改变的数据",
                     "Blue: waiting then; green: done by then; yellow: data this step changed"),
    "audit.prev_step": ("上一步", "Previous step"),
    "audit.next_step": ("下一步", "Next step"),
    "audit.step_of": ("第 {n}/{total} 步", "Step {n} of {total}"),
    "audit.entry": ("日志第 {seq} 条", "entry {seq}"),
    "audit.waiting_at": ("等待中", "Waiting at"),
    "audit.nothing_waiting": ("无（流程已结束）", "nothing (the instance ended)"),
    "audit.no_replay": ("无法重放此实例，请点击“校验”查看原因。", "This instance does not replay; press Verify to see why."),
    "audit.timeline": ("完整记录", "Full history"),
    "audit.submitted": ("提交的数据", "Data submitted"),
    "audit.before": ("之前", "Before"),
    "audit.after": ("之后", "After"),
    "kind.message_received": ("收到消息", "message received"),
    "kind.cancelled": ("取消流程", "cancelled the instance"),
    "kind.migrated": ("迁移版本", "moved to a new version"),
    "kind.incident_retried": ("重试出错的流程", "retried after an incident"),
    "kind.instance_cancelled": ("流程已取消", "instance cancelled"),
}

MESSAGES.update({k: v for k, v in AUDIT_MESSAGES.items() if k not in MESSAGES})
