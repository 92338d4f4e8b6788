"""What one page shows, read in one unit of work: a task with its instance, or an instance with
its history and diagram — checked and redacted for the person asking, as `show` and `history`
are, together with the labels and names the page needs to make the data readable.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from engine.audit.journal import JournalEntry
from engine.commands.comments import COMMENTED, CommentView, comments_of
from engine.commands.runner import Runner
from engine.errors import TaskNotReady
from engine.permissions import OPERATOR_NAME
from engine.ports import UnitOfWork
from engine.queries.reading import DiagramView, actions_on, diagram_of, user_view
from engine.records import InstanceRecord, StoredVersion
from engine.views import FormView, InstanceView, TaskView, UserView


@dataclass(frozen=True)
class Labels:
    """What makes an instance's data readable: its version's forms (start form first), the
    catalog's hints for data no form names, everyone (deactivated people too: history names
    them), the roles' names, and the procedure's name."""

    forms: tuple[FormView, ...]
    data_fields: dict[str, dict[str, Any]]
    users: tuple[UserView, ...]
    roles: dict[str, dict[str, str]]
    process_name: dict[str, str]


@dataclass(frozen=True)
class TaskSheet:
    task: TaskView
    instance: InstanceView
    context: dict[str, Any]
    labels: Labels
    comments: tuple[CommentView, ...] = ()


@dataclass(frozen=True)
class InstanceSheet:
    instance: InstanceView
    history: tuple[JournalEntry, ...]
    diagram: DiagramView
    labels: Labels
    comments: tuple[CommentView, ...] = ()


class SheetQueries:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def task_sheet(self, task_id: str, actor: str = OPERATOR_NAME) -> TaskSheet:
        """An open task as `actor` may see it, with its instance and the task's own context.

        Raises:
            TaskNotFound, UserNotFound, PermissionDenied, TaskNotReady (done or cancelled).
        """
        with self.run.unit() as uow:
            user, task = self.run.actor(uow, actor), self.run.task(uow, task_id)
            if task.status != "open":  # first, as claim and complete_task: whoever had it offered
                raise TaskNotReady(f"task {task_id} is {task.status}")  # may no longer see the case
            record = self.run.instance(uow, task.instance_id)
            may, instance = self.run.visible(uow, user, record, f"task {task_id}")
            view = dataclasses.replace(self.run.task_view(uow, task, record.version_hash),
                                       actions=actions_on(may, user, task))
            context = self.run.redactor(uow, record.version_hash, user).data(task.context or {})
            comments = comments_of(uow.journal.for_instance(record.id, kinds=(COMMENTED,)))
            return TaskSheet(view, instance, context, self._labels(uow, record), comments)

    def instance_sheet(self, instance_id: str, actor: str = OPERATOR_NAME) -> InstanceSheet:
        """An instance as `actor` may see it, with its history (redacted) and its diagram.

        Raises:
            InstanceNotFound, UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            _, instance = self.run.visible(uow, user, record, f"instance {instance_id}")
            redactor = self.run.redactor(uow, record.version_hash, user)
            entries = uow.journal.for_instance(instance_id)
            version = self.run.version(uow, record.version_hash)
            return InstanceSheet(instance, tuple(redactor.entry(e) for e in entries),
                                 diagram_of(version, record, entries), self._labels(uow, record, version),
                                 comments_of(entries))

    def _labels(self, uow: UnitOfWork, record: InstanceRecord, version: StoredVersion | None = None) -> Labels:
        version = version or self.run.version(uow, record.version_hash)
        compiled = self.run.compiled(version)
        forms = [compiled.start_form] if compiled.start_form else []
        forms += [f for f in compiled.forms.values() if f is not compiled.start_form]
        return Labels(tuple(FormView(f.key, f.schema, f.title, f.ui) for f in forms),
                      copy.deepcopy(version.entry.data_fields), tuple(user_view(u) for u in uow.users.all()),
                      {r.key: dict(r.name) for r in uow.users.roles()}, dict(version.entry.name))
