"""Chinese and English for the administrator's pages, merged into the interface messages."""

from __future__ import annotations

from webui.i18n import MESSAGES

ADMIN_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "admin.edit": ("编辑", "Edit"),
    "admin.back": ("← 返回用户列表", "← Back to the users"),
    "admin.user_title": ("用户：{name}", "User: {name}"),
    "admin.details": ("基本信息与角色", "Details and roles"),
    "admin.save": ("保存", "Save"),
    "admin.saved": ("已保存 {user} 的信息。", "Details of {user} saved."),
    "admin.no_department": ("无部门", "No department"),
    "admin.new_hire": ("新员工：暂不授予角色（入职流程签署保密协议后再授予）",
                       "New hire: no role yet (granted after the onboarding's confidentiality agreement)"),
    "admin.new_password": ("新密码", "New password"),
    "admin.password_hint": ("至少 {n} 个字符。用户下次登录时使用。", "At least {n} characters; used from the next sign-in."),
    "admin.set_password": ("设置新密码", "Set the new password"),
    "admin.password_set": ("已为 {user} 设置新密码。", "New password set for {user}."),
    "admin.status_section": ("账号状态", "Account"),
    "admin.deactivate_confirm": ("我确认停用此账号：其已认领的任务将退回其角色，此人将无法登录。",
                                 "I confirm: deactivate this account; their claimed tasks go back to their roles and they can no longer sign in."),
    "admin.reactivate": ("恢复账号", "Reactivate"),
    "admin.reactivated": ("已恢复 {user} 的账号。", "{user} reactivated."),
    "admin.inactive_note": ("此账号已停用：不能登录，也不能办理任务。", "This account is deactivated: it cannot sign in or act."),
    "admin.self_note": ("这是您自己的账号，不能停用。", "This is your own account; you cannot deactivate it."),
    "admin.fix_errors": ("请修改标出的字段。", "Please correct the marked fields."),
    "admin.username_hint": ("小写字母开头，可含小写字母、数字和下划线，2–40 个字符。",
                            "A lowercase letter, then lowercase letters, digits or _; 2–40 characters."),
    "admin.no_roles": ("无角色", "No role"),
    "admin.error.required": ("请填写用户名。", "Enter a username."),
    "admin.error.username_format": ("用户名须以小写字母开头，只含小写字母、数字和下划线，2–40 个字符。",
                                    "A username starts with a lowercase letter and has only lowercase letters, digits "
                                    "and _ (2–40 characters)."),
    "admin.error.username_taken": ("该用户名已被使用。", "This username is taken."),
    "admin.error.unknown_role": ("请选择列出的角色。", "Choose roles from the list."),
    "admin.error.unknown_department": ("请选择列出的部门。", "Choose a department from the list."),
    "admin.error.name_too_long": ("姓名最多 100 个字符。", "A name has at most 100 characters."),
    "admin.error.roles_required": ("请至少选择一个角色，或勾选“新员工”。", "Choose at least one role, or tick “New hire”."),
    "admin.error.password_short": ("密码至少需要 {n} 个字符。", "The password needs at least {n} characters."),
    "admin.error.confirm_required": ("请勾选确认后再停用。", "Tick the confirmation to deactivate."),
}

MESSAGES.update({k: v for k, v in ADMIN_MESSAGES.items() if k not in MESSAGES})
