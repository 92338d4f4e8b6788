"""Chinese and English for comments on instance and task pages, merged into the interface
messages (as webhooks_text.py does)."""

from __future__ import annotations

from webui.i18n import MESSAGES

COMMENT_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "comments.title": ("讨论", "Comments"),
    "comments.none": ("尚无评论。", "No comments yet."),
    "comments.new": ("添加评论", "Add a comment"),
    "comments.hint": ("用 @用户名 提及同事，对方会收到通知。评论一经发表不可修改；如需更正，请再发一条。",
                      "Mention a colleague with @username to notify them. A comment cannot be edited once "
                      "posted; to correct one, post another."),
    "comments.post": ("发表", "Post"),
    "comments.posted": ("评论已发表。", "Comment posted."),
    "comments.operator": ("系统操作员", "Operator"),
    "field_error.comment_blank": ("请填写评论内容。", "Write something first."),
    "field_error.comment_too_long": ("评论最多 {limit} 个字符。", "A comment has at most {limit} characters."),
    "kind.commented": ("发表评论", "commented"),
}

MESSAGES.update(COMMENT_MESSAGES)
