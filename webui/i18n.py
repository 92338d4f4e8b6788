"""Chinese and English for the web UI: interface messages, bilingual titles, field errors."""

from __future__ import annotations

import re
from typing import Any, Mapping

from engine.errors import FieldError

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "app_name": ("制度 · 运营中心流程", "zhidu · operations center"),
    "app_short": ("制度", "zhidu"),  # the header's name where its menus need the room
    "nav.inbox": ("待办", "Inbox"),
    "nav.team": ("部门任务", "Department tasks"),
    "nav.start": ("发起流程", "Start a procedure"),
    "nav.requests": ("我的申请", "My requests"),
    "nav.sign_out": ("退出", "Sign out"),
    "nav.language": ("English", "中文"),
    "sign_in.title": ("登录", "Sign in"),
    "sign_in.username": ("用户名", "Username"),
    "sign_in.password": ("密码", "Password"),
    "sign_in.submit": ("登录", "Sign in"),
    "sign_in.failed": ("用户名或密码不正确。", "Wrong username or password."),
    "sign_in.required": ("请先登录。", "Please sign in first."),
    "sign_in.demo": ("演示用户的密码均为 {password}。", "Every demo user's password is {password}."),
    "signed_out": ("您已退出。", "You have signed out."),
    "inbox.title": ("待办任务", "Inbox"),
    "inbox.empty": ("没有待办任务。", "Nothing to do."),
    "inbox.all_procedures": ("全部流程", "All procedures"),
    "inbox.filter": ("筛选", "Filter"),
    "inbox.sort_due": ("按截止时间", "By due date"),
    "inbox.sort_created": ("按创建时间", "By age"),
    "inbox.showing": ("共 {total} 项，第 {page}/{pages} 页", "Tasks: {total} · page {page} of {pages}"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "col.task": ("任务", "Task"),
    "col.process": ("流程", "Procedure"),
    "col.instance": ("实例", "Instance"),
    "col.due": ("截止时间", "Due"),
    "col.age": ("已等待", "Age"),
    "col.claimed_by": ("认领人", "Claimed by"),
    "col.status": ("状态", "Status"),
    "col.step": ("当前步骤", "Current step"),
    "col.started": ("发起时间", "Started"),
    "col.actions": ("操作", "Actions"),
    "overdue": ("已逾期", "overdue"),
    "no_due": ("—", "—"),
    "unclaimed": ("未认领", "unclaimed"),
    "mine": ("我", "me"),
    "claim": ("认领", "Claim"),
    "release": ("退回", "Release"),
    "open": ("办理", "Open"),
    "reassign": ("转派", "Reassign"),
    "reassign_to": ("转派给", "Give to"),
    "claimed": ("已认领任务。", "Task claimed."),
    "released": ("已退回任务。", "Task released."),
    "reassigned": ("已将任务转派给 {user}。", "Task given to {user}."),
    "completed": ("任务已提交。", "Task submitted."),
    "started": ("流程已发起。", "Procedure started."),
    "team.title": ("本部门的未完成任务", "Open tasks of my department"),
    "team.empty": ("本部门没有未完成的任务。", "Your department has no open tasks."),
    "task.claimed_by_other": ("该任务已由 {user} 认领。", "This task is claimed by {user}."),
    "task.not_yours": ("您不是该任务的办理人。", "This task is not offered to you."),
    "task.data": ("流程信息", "Case information"),
    "task.submit": ("提交", "Submit"),
    "task.add_row": ("添加一行", "Add a row"),
    "task.remove_row": ("删除", "Remove"),
    "task.view_instance": ("查看流程实例", "View the instance"),
    "task.fix_errors": ("表单有误，请按提示修改。", "Please correct the fields marked below."),
    "yes": ("是", "Yes"),
    "confidential": ("（保密）", "(confidential)"),
    "nav.admin": ("用户管理", "Users"),
    "admin.title": ("用户管理", "Users"),
    "admin.username": ("用户名", "Username"),
    "admin.name": ("姓名", "Name"),
    "admin.department": ("部门", "Department"),
    "admin.roles": ("角色", "Roles"),
    "admin.status": ("状态", "Status"),
    "admin.active": ("在职", "Active"),
    "admin.inactive": ("已停用", "Deactivated"),
    "admin.save_roles": ("保存角色", "Save roles"),
    "admin.deactivate": ("停用", "Deactivate"),
    "admin.add": ("添加用户", "Add a user"),
    "admin.add_button": ("添加", "Add"),
    "admin.password": ("初始密码", "Initial password"),
    "admin.password_short": ("密码至少需要 {n} 个字符。", "The password needs at least {n} characters."),
    "admin.added": ("已添加用户 {user}。", "User {user} added."),
    "admin.roles_set": ("已更新 {user} 的角色。", "Roles of {user} updated."),
    "admin.deactivated": ("已停用 {user}，{n} 个已认领任务退回其角色。", "{user} deactivated; {n} claimed task(s) returned to their roles."),
    "confidential.hash": ("（保密，SHA-256 {digest}）", "(confidential, SHA-256 {digest})"),
    "sign_in.locked": ("登录失败次数过多，请 {minutes} 分钟后再试。", "Too many failed sign-ins; try again in {minutes} minutes."),
    "session.expired": ("会话已过期，请重新登录。", "Your session has expired; please sign in again."),
    "no": ("否", "No"),
    "choose": ("请选择…", "Choose…"),
    "required_mark": ("必填", "required"),
    "start.title": ("发起流程", "Start a procedure"),
    "start.empty": ("您没有可发起的流程。", "There is no procedure you may start."),
    "start.clauses": ("制度条款", "Regulation clauses"),
    "start.version": ("版本", "version"),
    "start.submit": ("发起", "Start"),
    "requests.title": ("我发起的流程", "My requests"),
    "requests.empty": ("您还没有发起过流程。", "You have not started any procedure yet."),
    "instance.title": ("流程实例", "Instance"),
    "instance.diagram": ("流程图", "Diagram"),
    "instance.history": ("办理记录", "History"),
    "instance.data": ("当前数据", "Current data"),
    "instance.active": ("当前任务", "Open tasks"),
    "instance.started_by": ("发起人", "Started by"),
    "instance.legend": ("绿色：已完成；蓝色：进行中；数字：执行次数",
                        "Green: done; blue: in progress; number: times run"),
    "instance.no_data": ("暂无数据。", "No data yet."),
    "status.running": ("进行中", "running"),
    "status.completed": ("已完成", "completed"),
    "status.failed": ("出错", "failed"),
    "status.cancelled": ("已取消", "cancelled"),
    "status.open": ("待办", "open"),
    "kind.started": ("发起流程", "started the procedure"),
    "kind.claimed": ("认领任务", "claimed a task"),
    "kind.released": ("退回任务", "released a task"),
    "kind.reassigned": ("转派任务", "reassigned a task"),
    "kind.completed": ("提交任务", "submitted a task"),
    "kind.task_entered": ("任务到达", "task entered"),
    "kind.task_left": ("任务结束", "task left"),
    "kind.element_completed": ("步骤完成", "step completed"),
    "kind.instance_completed": ("流程结束", "instance completed"),
    "kind.instance_failed": ("流程出错", "instance failed"),
    "kind.timer_fired": ("定时器触发", "timer fired"),
    "system": ("系统", "system"),
    "error.400": ("请求无效或表单已过期，请刷新页面后重试。", "The request was invalid or the form expired; reload the page and try again."),
    "error.403": ("您无权访问此页面。", "You are not allowed to see this page."),
    "error.404": ("找不到该页面。", "This page does not exist."),
    "error.500": ("系统出错，请稍后再试。我们已记录此问题。", "Something went wrong; please try again later. The problem has been logged."),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回待办", "Back to the inbox"),
    "error.task_done": ("该任务已经完成或已取消，无需再处理。", "This task has already been completed or cancelled."),
    "error.task_taken": ("该任务已被其他人认领。", "Someone else has already claimed this task."),
    "error.task_not_claimed": ("该任务未被认领。", "This task is not claimed."),
    "error.concurrent": ("该流程刚被其他人更新，请重试。", "Someone else updated this case just now; please try again."),
    "error.concurrent_kept": ("就在同一时刻，该流程被其他操作更新，本次提交未保存。您填写的内容已保留，请再提交一次。",
                              "Someone else updated this case at the same moment, so nothing was saved. "
                              "What you entered is kept below: submit it again."),
    "minutes": ("{n} 分钟", "{n} min"),
    "hours": ("{n} 小时", "{n} h"),
    "days": ("{n} 天", "{n} d"),
    # --- forms (add this area's messages below this line) ---
    "field_error.finite": ("必须是有效数字", "must be a finite number"),
    "field_error.nul": ("不能包含空字符 (NUL)", "must not contain NUL characters"),
    "field_error.blank": ("不能只填空格", "must not be only spaces"),
    "field_error.confirm": ("请勾选确认", "must be confirmed"),
    "field_error.user": ("不是在职的用户，请从列表中选择", "is not an active user; choose one from the list"),
    "field_error.role": ("所选人员没有此项所需的角色", "the chosen person does not have the role this field needs"),
    "field_error.const": ("必须为 {limit}", "must be {limit}"),
    # --- security (add this area's messages below this line) ---
    "sign_in.too_long": ("{field}过长：最多 {limit} 个字符。", "{field} is too long: at most {limit} characters."),
    "error.413": ("提交的内容过大（上限 {size}），未作任何更改。请缩小文件或分次提交。",
                  "What you sent is too large (the limit is {size}); nothing was changed. Send a smaller file or split it up."),
    "kind.sign_in_locked": ("登录失败次数过多，暂时锁定", "locked after repeated failed sign-ins"),
    # --- evidence (add this area's messages below this line) ---
    # --- time (add this area's messages below this line) ---
    # --- owner (add this area's messages below this line) ---
    # --- reading (add this area's messages below this line) ---
    "data.started_by": ("发起人", "Started by"),
    "data.reason": ("原因", "Reason"),
    "inbox.search": ("搜索", "Search"),
    "inbox.search_hint": ("客户、主题或流程", "Customer, subject or procedure"),
    "inbox.no_match": ("没有符合条件的任务。", "No task matches."),
    "col.waiting_on": ("等待", "Waiting on"),
    "instance.waiting_on": ("等待", "waiting on"),
    "withdraw.title": ("撤回申请", "Withdraw this request"),
    "withdraw.explain": ("撤回后所有未完成的步骤将被取消，此操作会记入历史，无法恢复。",
                         "Every open step is cancelled; the withdrawal is recorded in the history and cannot be undone."),
    "withdraw.reason": ("撤回原因", "Reason for withdrawing"),
    "withdraw.submit": ("撤回", "Withdraw"),
    "withdrawn": ("申请已撤回。", "The request was withdrawn."),
    "status.withdrawn": ("已撤回", "withdrawn"),
    "kind.withdrawn": ("撤回申请", "withdrew the request"),
    "kind.cancelled": ("取消流程", "cancelled the procedure"),
    "kind.instance_cancelled": ("流程已取消", "instance cancelled"),
    "kind.message_received": ("收到消息", "message received"),
    "kind.migrated": ("迁移到新版本", "moved to a new version"),
    "kind.incident_retried": ("重新运行", "ran again after an incident"),
    "kind.external_task_entered": ("等待外部程序", "waiting for an external worker"),
    "kind.external_task_left": ("外部步骤结束", "external step left"),
    "kind.external_completed": ("外部程序完成步骤", "an external worker completed the step"),
    "kind.external_failed": ("外部程序报告失败", "an external worker reported a failure"),
    "kind.lookup": ("查询组织信息", "looked up the organisation"),
    # --- audit_admin (add this area's messages below this line) ---
    "nav.menu": ("菜单", "Menu"),
    # --- walker (add this area's messages below this line) ---
    "walker.reassign_to": ("转派给…", "Give to…"),
    "walker.sort": ("排序", "Sort"),
    "walker.one_version": ("目前只有一个版本", "There is only one version so far"),
    "walker.colon": ("：", ": "),  # a label's colon: full width in Chinese, with a space in English
    "walker.fit": ("整图适应窗口", "Fit the diagram to the window"),
    "walker.reassign_nobody": ("请先选择要转派给谁。", "Choose whom to give the task to first."),
    # --- tokens (add this area's messages below this line) ---
    "nav.tokens": ("API 令牌", "API tokens"),
    "tokens.title": ("API 令牌", "API tokens"),
    "tokens.intro": ("其他系统或脚本可凭令牌以您的身份和角色调用制度的 REST API（/api/v1），请求头写作 Authorization: Bearer <令牌>。令牌如同密码：请勿分享，不再需要时请撤销。",
                     "Other systems and scripts can call zhidu's REST API (/api/v1) as you, with your roles, by sending Authorization: Bearer <token>. A token is like a password: do not share it, and revoke it when it is no longer needed."),
    "tokens.none": ("您还没有 API 令牌。", "You have no API tokens yet."),
    "tokens.name": ("名称", "Name"),
    "tokens.name_hint": ("用途，例如“CRM 导入”（最多 {max} 个字符）。", "What it is for, e.g. “CRM import” (at most {max} characters)."),
    "tokens.created": ("创建时间", "Created"),
    "tokens.expires": ("到期时间", "Expires"),
    "tokens.never": ("永不", "Never"),
    "tokens.last_used": ("最近使用", "Last used"),
    "tokens.never_used": ("从未使用", "Never used"),
    "tokens.status": ("状态", "Status"),
    "tokens.status.active": ("有效", "Active"),
    "tokens.status.expired": ("已过期", "Expired"),
    "tokens.status.revoked": ("已撤销", "Revoked"),
    "tokens.revoke": ("撤销", "Revoke"),
    "tokens.new": ("新建令牌", "New token"),
    "tokens.days": ("有效天数", "Valid for (days)"),
    "tokens.days_hint": ("1 到 {max} 天；留空则永不过期。", "1 to {max} days; leave empty for a token that never expires."),
    "tokens.create": ("创建令牌", "Create token"),
    "tokens.made": ("已创建令牌“{name}”。", "Token “{name}” created."),
    "tokens.copy_now": ("请立即复制并妥善保存：此令牌只显示这一次，之后无法再次查看。", "Copy it now and keep it safe: it is shown only this once and cannot be seen again."),
    "tokens.copy_hint": ("选中下方文本后复制（Ctrl+C 或 ⌘C）。", "Select the text below and copy it (Ctrl+C or ⌘C)."),
    "tokens.secret": ("新令牌", "New token"),
    "tokens.example": ("试用：", "Try it:"),
    "tokens.fix_errors": ("请更正标出的内容。", "Please correct the marked fields."),
    "tokens.error.required": ("请为令牌命名。", "Give the token a name."),
    "tokens.error.too_long": ("名称最多 {max} 个字符。", "The name has at most {max} characters."),
    "tokens.error.days_range": ("请填写 1 到 {max} 之间的整数天数，或留空。", "Enter a whole number of days from 1 to {max}, or leave it empty."),
    "tokens.revoke_title": ("撤销令牌“{name}”？", "Revoke the token “{name}”?"),
    "tokens.revoke_warning": ("使用此令牌的程序将立即被拒绝。撤销后无法恢复；如仍需访问，请新建令牌。", "Programs using this token are refused at once. This cannot be undone; create a new token if access is still needed."),
    "tokens.revoke_confirm": ("撤销令牌", "Revoke token"),
    "tokens.cancel": ("取消", "Cancel"),
    "tokens.revoked": ("已撤销令牌“{name}”。", "Token “{name}” revoked."),
}

FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "required": ("此项必填", "This field is required"),
    "empty": ("不能为空", "must not be empty"),
    "minLength": ("至少需要 {limit} 个字符", "must be at least {limit} characters"),
    "maxLength": ("最多 {limit} 个字符", "must be at most {limit} characters"),
    "minimum": ("不能小于 {limit}", "must be at least {limit}"),
    "maximum": ("不能大于 {limit}", "must be at most {limit}"),
    "exclusiveMinimum": ("必须大于 {limit}", "must be greater than {limit}"),
    "exclusiveMaximum": ("必须小于 {limit}", "must be less than {limit}"),
    "minItems": ("至少需要 {limit} 行", "needs at least {limit} row(s)"),
    "maxItems": ("最多 {limit} 行", "allows at most {limit} row(s)"),
    "enum": ("请从选项中选择", "choose one of the options"),
    "type": ("格式不正确，应为{limit}", "must be {limit}"),
    "format": ("请输入有效的{limit}", "must be a valid {limit}"),
    "pattern": ("格式不正确", "has the wrong format"),
    "unknown": ("不是此表单的字段", "is not a field of this form"),
    "distinct": ("此人已在本表单中出现，请选择其他人", "names someone already named in this form"),
}
_TYPE_NAMES = {
    "integer": ("整数", "a whole number"), "number": ("数字", "a number"),
    "boolean": ("是或否", "yes or no"), "string": ("文本", "text"), "array": ("列表", "a list"),
    "object": ("一组字段", "a group of fields"), "date": ("日期", "date"), "date-time": ("日期时间", "date and time"),
}

_SPLIT = re.compile(r"^([^A-Za-z]*[\u3000-\u9fff\uff00-\uffef][^A-Za-z]*?)\s*([A-Za-z].*)$", re.S)


def normalise(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, lang: str, **params: Any) -> str:
    """The message `key` in `lang`, with `{params}` filled in; the key itself if unknown."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[LANGUAGES.index(normalise(lang))]
    return text.format(**params) if params else text


def localised(names: Mapping[str, str] | None, lang: str, fallback: str = "") -> str:
    """Pick `lang` from a {zh, en} mapping, falling back to the other language."""
    if not names:
        return fallback
    return names.get(lang) or names.get("en") or names.get("zh") or fallback


def bilingual(title: str | None, lang: str) -> str:
    """'调查核实 Investigate and verify' → the zh or en half; the whole title if it does not split."""
    if not title:
        return ""
    match = _SPLIT.match(title.strip())
    if not match:
        return title
    return match.group(1).strip() if normalise(lang) == "zh" else match.group(2).strip()


def field_error_text(error: FieldError, lang: str) -> str:
    """A field error in `lang`, from its validator code and limit."""
    index = LANGUAGES.index(normalise(lang))
    code = error.code
    limit = error.params.get("limit") if error.params else None
    if code == "minLength" and limit == 1:
        code = "empty"
    pair = FIELD_ERRORS.get(code) or MESSAGES.get(f"field_error.{code}")
    if pair is None:
        return error.message
    if code in ("type", "format") and isinstance(limit, str):
        limit = _TYPE_NAMES.get(limit, (limit, limit))[index]
    return pair[index].format(limit=limit)
