"""Chinese and English for the absence (substitute) page, the inbox's "on behalf of" and the
team page's list of who stands in for whom, merged into the interface messages."""

from __future__ import annotations

from webui.i18n import MESSAGES

ABSENCE_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "nav.absences": ("请假代理", "Absence"),
    "absences.title": ("请假与代理", "Absence and substitute"),
    "absences.intro": ("外出或休假时，指定一位同事代理：期间您的任务和待领任务也会出现在代理人的待办中，"
                       "代理人办理的每一步都会记录“代某某办理”。日期按本机构时区的整天计算。",
                       "When you are away, name a colleague to stand in: meanwhile your tasks and offers also "
                       "reach their inbox, and each step they do is recorded as done on your behalf. Days are "
                       "whole days in the organisation's time zone."),
    "absences.new": ("登记请假", "Record an absence"),
    "absences.from": ("开始日期", "From"),
    "absences.to": ("结束日期（含）", "To (inclusive)"),
    "absences.substitute": ("代理人", "Substitute"),
    "absences.choose": ("请选择…", "Choose…"),
    "absences.record": ("登记", "Record"),
    "absences.recorded": ("已登记：{from_day} 至 {to_day}，由 {name} 代理。", "Recorded: {from_day} to {to_day}, {name} stands in."),
    "absences.mine": ("我的请假", "My absences"),
    "absences.none": ("尚未登记请假。", "No absences recorded."),
    "absences.covering": ("我代理的同事", "Whom I stand in for"),
    "absences.team": ("部门代理情况", "Who stands in for whom"),
    "absences.team_none": ("部门内目前无人请假。", "Nobody in your departments is away or about to be."),
    "absences.person": ("请假人", "Away"),
    "absences.days": ("日期", "Days"),
    "absences.status": ("状态", "Status"),
    "absences.status.current": ("进行中", "Current"),
    "absences.status.upcoming": ("未开始", "Upcoming"),
    "absences.status.over": ("已结束", "Over"),
    "absences.end": ("结束", "End now"),
    "absences.ended": ("代理已结束。", "The substitution has ended."),
    "absences.fix_errors": ("请修改标出的字段。", "Please correct the marked fields."),
    "inbox.on_behalf": ("代 {name}", "for {name}"),
    "history.on_behalf_of": ("代理", "On behalf of"),
    "field_error.absence_date": ("请按 年-月-日 填写日期。", "Enter a day as YYYY-MM-DD."),
    "field_error.absence_order": ("结束日期不能早于开始日期。", "The last day cannot come before the first."),
    "field_error.absence_past": ("这段请假已经过去了。", "This absence would be over already."),
    "field_error.absence_overlap": ("这些日期与已登记的请假重叠。", "These days overlap an absence already recorded."),
    "field_error.absence_substitute_required": ("请选择代理人。", "Choose who stands in."),
    "field_error.absence_substitute_self": ("不能由自己代理自己。", "Nobody can stand in for themselves."),
    "field_error.absence_substitute_unknown": ("没有这个用户。", "There is no such user."),
    "field_error.absence_substitute_inactive": ("该用户已停用，不能代理。", "That user is deactivated and cannot stand in."),
}

MESSAGES.update(ABSENCE_MESSAGES)
