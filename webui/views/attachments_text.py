"""Chinese and English for attachments (file fields, their refusals, downloads), merged into the
interface messages as webhooks_text.py does."""

from __future__ import annotations

from webui.i18n import MESSAGES

ATTACHMENT_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "attachment.current": ("已附文件：{name}（如需更换，请重新选择文件）", "Attached: {name} (choose a file to replace it)"),
    "field_error.file_size": ("文件过大，最大 {limit}", "The file is too large: at most {limit}"),
    "field_error.file_type": ("不接受此类文件，可接受：{limit}", "This kind of file is not accepted; accepted: {limit}"),
    "field_error.file_content": ("文件内容与其类型（{limit}）不符", "The file's content is not what its type ({limit}) says"),
    "field_error.file_empty": ("文件为空", "The file is empty"),
    "field_error.file_missing": ("附件未找到或已损坏，请重新上传", "The attached file is not stored or does not match; upload it again"),
}

MESSAGES.update(ATTACHMENT_MESSAGES)
