"""The words of a notification's e-mail, in the recipient's language (zh or en), with its link.

A notification stores what happened (kind and payload), not sentences: the mail is worded when
it is sent, in the language the recipient chose for the interface (Chinese when they chose none).
"""

from __future__ import annotations

from typing import Any

from engine.notify import DueMail

# kind -> (zh subject, en subject); {title} is the task's or the procedure's name
SUBJECTS: dict[str, tuple[str, str]] = {
    "task_offered": ("新任务：{title}", "New task: {title}"),
    "task_assigned": ("任务已交给您：{title}", "A task was assigned to you: {title}"),
    "task_overdue": ("任务已逾期：{title}", "Task overdue: {title}"),
    "task_escalated": ("任务已升级：{title}", "Task escalated: {title}"),
    "request_completed": ("您的申请已完成：{title}", "Your request was completed: {title}"),
    "request_cancelled": ("您的申请已取消：{title}", "Your request was cancelled: {title}"),
    "request_withdrawn": ("您的申请已撤回：{title}", "Your request was withdrawn: {title}"),
    "request_failed": ("您的申请出错停止：{title}", "Your request stopped with an error: {title}"),
    "mentioned": ("{actor} 在评论中提到了您：{title}", "{actor} mentioned you in a comment: {title}"),
}
OPEN = ("打开：{link}", "Open: {link}")
SETTINGS = ("不想收到此类邮件？在此更改：{link}", "Rather not get these e-mails? Change it here: {link}")
FOOTER = ("—— zhidu 流程平台（本邮件由系统自动发送）", "— zhidu (sent automatically)")


def language_of(mail: DueMail) -> int:
    """0 for Chinese, 1 for English: the recipient's interface language."""
    return 1 if (mail.language or "").lower().startswith("en") else 0


def title_of(payload: dict[str, Any], lang: int) -> str:
    """The task's subject or title, or the procedure's name, in `lang` where it has both."""
    for key in ("subject", "title"):
        value = payload.get(key)
        if isinstance(value, dict) and value:
            return str(value.get("en" if lang else "zh") or next(iter(value.values())))
        if isinstance(value, str) and value:
            return value
    return str(payload.get("process_key") or payload.get("instance_id") or "")


def link_of(mail: DueMail, base_url: str) -> str:
    """The page the notification is about: its task, else its instance, else the notifications."""
    base = base_url.rstrip("/")
    if mail.task_id and mail.kind != "request_completed":
        return f"{base}/tasks/{mail.task_id}"
    if mail.instance_id:
        return f"{base}/instances/{mail.instance_id}"
    return f"{base}/notifications"


def worded(mail: DueMail, base_url: str) -> tuple[str, str]:
    """(subject, plain-text body) of `mail` in its recipient's language."""
    lang = language_of(mail)
    title = title_of(mail.payload, lang)
    subject = SUBJECTS[mail.kind][lang].format(title=title, actor=mail.payload.get("actor") or "zhidu")
    lines = [subject, ""]
    if mail.payload.get("text"):
        lines += [str(mail.payload["text"])[:1000], ""]
    lines += [OPEN[lang].format(link=link_of(mail, base_url)), "",
              SETTINGS[lang].format(link=base_url.rstrip("/") + "/notifications/settings"), FOOTER[lang]]
    return subject[:200], "\n".join(lines) + "\n"
