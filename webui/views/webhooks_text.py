"""Chinese and English for the webhook pages, merged into the interface messages (as
admin_text.py does for the users' pages, so webui/i18n.py stays one screenful per audience)."""

from __future__ import annotations

from webui.i18n import MESSAGES

WEBHOOK_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "webhooks.title": ("Webhook 订阅", "Webhooks"),
    "webhooks.log_title": ("Webhook 投递记录", "Webhook deliveries"),
    "webhooks.users": ("用户管理", "Users"),
    "webhooks.intro": ("zhidu 在下列事件发生后，向订阅的地址发送签名的 POST 请求（由后台 worker 投递，失败自动重试）。",
                       "After each event below, zhidu POSTs a signed request to the subscribed URL (sent by the "
                       "worker, retried on failure)."),
    "webhooks.url": ("接收地址（URL）", "Receiver URL"),
    "webhooks.url_hint": ("仅限 http:// 或 https://，不得包含用户名或密码；不会跟随重定向。",
                          "http:// or https:// only, with no user name or password; redirects are never followed."),
    "webhooks.events": ("事件", "Events"),
    "webhooks.created": ("创建", "Created"),
    "webhooks.none": ("尚无订阅。", "No subscriptions yet."),
    "webhooks.add": ("添加订阅", "Add a subscription"),
    "webhooks.add_button": ("添加", "Add"),
    "webhooks.remove": ("删除", "Remove"),
    "webhooks.remove_confirm": ("删除后不再向该地址投递，尚未送达的投递将被放弃。",
                                "Once removed, nothing more is sent there; deliveries not yet made are dropped."),
    "webhooks.removed": ("已删除订阅 {url}。", "Subscription {url} removed."),
    "webhooks.added": ("已添加订阅。", "Subscription added."),
    "webhooks.secret": ("签名密钥", "Signing secret"),
    "webhooks.secret_once": ("请立即复制此密钥：它只显示这一次。接收方用它校验 Zhidu-Signature 头。",
                             "Copy this secret now: it is shown only once. The receiver checks the Zhidu-Signature "
                             "header with it."),
    "webhooks.fix_errors": ("请修改标出的字段。", "Please correct the marked fields."),
    "webhooks.log": ("投递记录", "Delivery log"),
    "webhooks.event": ("事件", "Event"),
    "webhooks.status": ("状态", "Status"),
    "webhooks.attempts": ("尝试次数", "Attempts"),
    "webhooks.last_reply": ("最近回应", "Last reply"),
    "webhooks.next_attempt": ("下次尝试", "Next attempt"),
    "webhooks.no_deliveries": ("尚无投递。", "No deliveries yet."),
    "webhooks.page": ("第 {page} / {pages} 页，共 {total} 条", "Page {page} of {pages}, {total} in all"),
    "webhooks.newer": ("← 较新", "← Newer"),
    "webhooks.older": ("较旧 →", "Older →"),
    "webhooks.status.pending": ("等待投递", "Pending"),
    "webhooks.status.delivered": ("已送达", "Delivered"),
    "webhooks.status.failed": ("失败", "Failed"),
    "webhooks.status.dropped": ("已放弃", "Dropped"),
    "webhooks.event.instance.started": ("流程启动", "Instance started"),
    "webhooks.event.instance.completed": ("流程完成", "Instance completed"),
    "webhooks.event.instance.cancelled": ("流程取消", "Instance cancelled"),
    "webhooks.event.instance.withdrawn": ("流程撤回", "Instance withdrawn"),
    "webhooks.event.instance.failed": ("流程出错", "Instance failed"),
    "webhooks.event.task.created": ("任务创建", "Task created"),
    "webhooks.event.task.completed": ("任务完成", "Task completed"),
    "webhooks.error.url_required": ("请填写接收地址。", "Enter the receiver URL."),
    "webhooks.error.url_too_long": ("接收地址过长（最多 {limit} 个字符）。", "The URL is too long (at most {limit} characters)."),
    "webhooks.error.url_format": ("接收地址无法识别：不得含空格，端口须为数字。",
                                  "The URL cannot be read: no spaces, and the port must be a number."),
    "webhooks.error.url_scheme": ("接收地址只能以 http:// 或 https:// 开头。", "The URL must start with http:// or https://."),
    "webhooks.error.url_credentials": ("接收地址不得包含用户名或密码。", "The URL may not contain a user name or password."),
    "webhooks.error.url_host": ("接收地址缺少主机名。", "The URL names no host."),
    "webhooks.error.url_taken": ("该地址已订阅；如需更改事件，请先删除原订阅。",
                                 "This URL is subscribed already; remove that subscription first to change its events."),
    "webhooks.error.events_required": ("请至少选择一个事件。", "Choose at least one event."),
    "webhooks.error.events_unknown": ("请从列表中选择事件。", "Choose events from the list."),
}

MESSAGES.update(WEBHOOK_MESSAGES)
