"""Chinese and English for the notification pages and the bell, merged into the interface
messages (as webhooks_text.py does)."""

from __future__ import annotations

from webui.i18n import MESSAGES

NOTIFICATION_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "notifications.title": ("通知", "Notifications"),
    "notifications.bell": ("通知：{count} 条未读", "Notifications: {count} unread"),
    "notifications.all": ("全部", "All"),
    "notifications.unread": ("未读", "Unread"),
    "notifications.none": ("没有通知。", "No notifications."),
    "notifications.mark_read": ("标为已读", "Mark read"),
    "notifications.mark_all_read": ("全部标为已读", "Mark all read"),
    "notifications.marked": ("已标为已读：{count} 条。", "Marked read: {count}."),
    "notifications.open": ("打开", "Open"),
    "notifications.new": ("新", "New"),
    "notifications.by": ("来自 {actor}", "by {actor}"),
    "notifications.page": ("第 {page}/{pages} 页，共 {total} 条", "Page {page} of {pages}, {total} in all"),
    "notifications.newer": ("较新", "Newer"),
    "notifications.older": ("较早", "Older"),
    "notifications.settings": ("邮件设置", "E-mail settings"),
    "notifications.settings_intro": ("每类通知都会显示在通知页；勾选的类型还会发送到您的邮箱（没有邮箱地址的用户不会收到邮件）。",
                                     "Every kind of notification is shown on the notifications page; the kinds you "
                                     "tick are also e-mailed to you (when you have an address)."),
    "notifications.mail": ("发送邮件", "E-mail"),
    "notifications.save": ("保存", "Save"),
    "notifications.saved": ("已保存邮件设置。", "E-mail settings saved."),
    "notifications.mail_log": ("邮件发送记录", "Mail log"),
    "notifications.recipient": ("收件人", "Recipient"),
    "notifications.kind": ("类型", "Kind"),
    "notifications.status": ("状态", "Status"),
    "notifications.attempts": ("尝试次数", "Attempts"),
    "notifications.last_error": ("最近错误", "Last error"),
    "notifications.next_attempt": ("下次尝试", "Next attempt"),
    "notifications.created": ("时间", "When"),
    "notifications.no_mail": ("尚无邮件。", "No mail yet."),
    "notifications.status.pending": ("待发送", "Pending"),
    "notifications.status.sent": ("已发送", "Sent"),
    "notifications.status.failed": ("失败", "Failed"),
    "notifications.status.skipped": ("未发送（未配置邮件服务器）", "Not sent (no mail server)"),
    "notifications.kind.task_offered": ("有新任务可领取", "A task is offered to you"),
    "notifications.kind.task_assigned": ("任务已交给您", "A task was assigned to you"),
    "notifications.kind.task_overdue": ("您的任务已逾期", "Your task is overdue"),
    "notifications.kind.task_escalated": ("您的任务已升级", "Your task was escalated"),
    "notifications.kind.request_completed": ("您的申请已完成", "Your request was completed"),
    "notifications.kind.request_cancelled": ("您的申请已取消", "Your request was cancelled"),
    "notifications.kind.request_withdrawn": ("您的申请已撤回", "Your request was withdrawn"),
    "notifications.kind.request_failed": ("您的申请出错停止", "Your request stopped with an error"),
    "notifications.kind.mentioned": ("有人在评论中提到了您", "You were mentioned in a comment"),
}

MESSAGES.update(NOTIFICATION_MESSAGES)
