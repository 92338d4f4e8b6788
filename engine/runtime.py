"""The engine facade: the one object the web UI, the CLI and the API call.

`Engine` holds no logic of its own. It builds one `Runner` (the shared step: unit of work,
clock, compiled versions, journal, permissions) and small command and query objects over it,
and hands each public method to the object that answers it. Each command is one unit of work:
load, check, run the engine, write state, task rows and journal entries, commit — or change
nothing.
"""

from __future__ import annotations

from typing import Any, Callable

from engine.audit.confidential import Fingerprints, ephemeral_fingerprints
from engine.clock import Clock, CommandClock, SystemClock
from engine.commands.absences import AbsenceCommands
from engine.commands.comments import CommentCommands
from engine.commands.evidence import EvidenceCommands
from engine.commands.external_tasks import ExternalTaskCommands
from engine.commands.instances import InstanceCommands
from engine.commands.notifications import NotificationCommands
from engine.commands.owner import OwnerCommands
from engine.commands.people import PeopleCommands
from engine.commands.runner import Runner
from engine.commands.tasks import TaskCommands
from engine.commands.timers import TimerCommands
from engine.commands.webhooks import WebhookCommands
from engine.commands.tokens import TokenCommands
from engine.files import FileStore
from engine.ports import UnitOfWork
from engine.queries.attachments import AttachmentCommands
from engine.queries.audit_search import AuditSearch
from engine.queries.inbox import InboxQueries
from engine.queries.reading import ReadingQueries
from engine.queries.sheets import SheetQueries
from engine.spiff.specs import SpecCache


class _Delegated:
    """A facade method answered by one of the engine's parts (help() shows the part's doc)."""

    def __init__(self, part: str, name: str):
        self.part, self.name = part, name

    def __get__(self, engine: Any, owner: type | None = None) -> Any:
        if engine is None:
            return self
        return getattr(getattr(engine, self.part), self.name)


class Engine:
    """zhidu's runtime facade over SpiffWorkflow and storage."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock | None = None,
                 cache: SpecCache | None = None, fingerprint_key: bytes | None = None,
                 files: FileStore | None = None):
        # Confidential values are fingerprinted under the installation's key (engine/audit/confidential.py).
        self.fingerprints = Fingerprints(fingerprint_key) if fingerprint_key else ephemeral_fingerprints()
        self.clock = CommandClock(clock or SystemClock())  # one instant per command, as replay sees it
        self.cache = cache or SpecCache()
        self.run = Runner(self.clock.freezing(uow_factory), self.clock, self.cache, self.fingerprints, files)
        self.instances = InstanceCommands(self.run)
        self.tasks = TaskCommands(self.run)
        self.timers = TimerCommands(self.run, self.instances)
        self.owner = OwnerCommands(self.run)
        self.people = PeopleCommands(self.run)
        self.evidence = EvidenceCommands(self.run)
        self.reading = ReadingQueries(self.run)
        self.inbox = InboxQueries(self.run)
        self.search = AuditSearch(self.run)
        self.sheets = SheetQueries(self.run)
        self.external = ExternalTaskCommands(self.run)
        self.webhooks = WebhookCommands(self.run)
        self.api_tokens = TokenCommands(self.run)
        self.comments, self.substitutes = CommentCommands(self.run), AbsenceCommands(self.run)
        self.notices = NotificationCommands(self.run)
        self.attachments = AttachmentCommands(self.run)

    @property
    def files(self) -> FileStore:
        """Where attachments are kept (engine/files.py)."""
        return self.run.files

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        """Where every command's unit of work comes from (tests may swap it)."""
        return self.run.uow_factory

    @uow_factory.setter
    def uow_factory(self, factory: Callable[[], UnitOfWork]) -> None:
        self.run.uow_factory = factory


# Which part answers each public method: a plain table, read once when this module loads.
PARTS: dict[str, tuple[str, ...]] = {
    "instances": ("start", "correlate_message", "cancel", "withdraw", "retry"),
    "tasks": ("claim", "release", "reassign", "complete_task"),
    "timers": ("fire_due_timers", "start_due_schedules"),
    "owner": ("deploy", "version_history", "version_bundle", "validate", "deploy_edited", "save_draft", "draft",
              "discard_draft", "compare", "migration_plan", "migrate"),
    "people": ("load_organisation", "organisation", "administered_users", "add_user", "set_roles",
               "deactivate_user", "reactivate_user", "set_password", "edit_user", "organisation_history",
               "verify_organisation"),
    "evidence": ("verify", "verify_all", "step_through", "audit_read", "export"),
    "reading": ("processes", "startable", "users", "user", "password_hash", "show", "history", "my_requests",
                "tasks_for", "task", "task_context", "diagram", "instance_forms", "data_fields", "abilities", "navigation", "find_by_business_key"),
    "inbox": ("inbox_page", "inbox_count", "department_tasks", "receivers"),
    "search": ("search_instances",),
    "sheets": ("task_sheet", "instance_sheet"),
    "external": ("fetch_and_lock", "complete_external", "fail_external", "extend_lock"),
    "webhooks": ("add_webhook", "webhook_subscriptions", "remove_webhook", "webhook_deliveries", "deliver_webhooks"),
    "api_tokens": ("create_token", "tokens", "revoke_token", "authenticate_token"),
    "comments": ("comment",),
    "substitutes": ("record_absence", "absences", "end_absence"),
    "notices": ("notifications", "mark_read", "mark_all_read", "notification_preferences",
                "set_notification_preferences", "mail_log", "notify_overdue", "deliver_mail"),
    "attachments": ("store_uploads", "attachment"),
}

for _part, _names in PARTS.items():
    for _name in _names:
        setattr(Engine, _name, _Delegated(_part, _name))
