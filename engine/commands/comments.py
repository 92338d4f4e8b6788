"""Comments on an instance (issue 15.3): people discuss a case beside its workflow.

A comment is a command in the instance's own hash-chained journal (kind ``commented``, payload
``{text, mentions}``), so it is evidence like everything else there: never edited — a
correction is a new comment — and checked by `verify`; replay passes over it. Whoever may see
the instance may read and write its comments. ``@username`` names a person: the journal records
the names that were users when the comment was made, and those who may see the instance are
notified; any other ``@word`` is plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from engine import notify
from engine.audit.journal import JournalEntry
from engine.commands.runner import Runner
from engine.errors import FieldError, FormInvalid
from engine.ports import UnitOfWork

COMMENTED = "commented"
MAX_COMMENT = 4000
# `@name` where name is a username (engine/commands/people.py USERNAME), not inside a word or address
MENTION = re.compile(r"(?<![\w@.])@([a-z][a-z0-9_]{1,39})(?![a-z0-9_])")


@dataclass(frozen=True)
class CommentView:
    """One comment: who wrote it (None: the operator), when, its text and the people it names."""

    seq: int
    author: str | None
    at: datetime
    text: str
    mentions: tuple[str, ...] = ()

    @property
    def parts(self) -> tuple[tuple[str, str | None], ...]:
        """The text in pieces, each (text, None) or (the ``@name`` written, the username it names)."""
        pieces: list[tuple[str, str | None]] = []
        last = 0
        for match in MENTION.finditer(self.text):
            if match.group(1) not in self.mentions:
                continue
            if match.start() > last:
                pieces.append((self.text[last:match.start()], None))
            pieces.append((match.group(0), match.group(1)))
            last = match.end()
        if last < len(self.text):
            pieces.append((self.text[last:], None))
        return tuple(pieces)

    def to_dict(self) -> dict:
        return {"seq": self.seq, "author": self.author, "at": self.at.isoformat(), "text": self.text,
                "mentions": list(self.mentions)}


def comment_problems(text: str) -> list[FieldError]:
    """What is wrong with a comment's text (`code`s: comment_blank, comment_too_long)."""
    if not text.strip():
        return [FieldError("text", "a comment needs some text", "comment_blank")]
    if len(text) > MAX_COMMENT:
        return [FieldError("text", f"a comment has at most {MAX_COMMENT} characters", "comment_too_long",
                           {"limit": MAX_COMMENT})]
    return []


def comments_of(entries: Iterable[JournalEntry]) -> tuple[CommentView, ...]:
    """The comments among an instance's journal entries, oldest first."""
    return tuple(CommentView(e.seq, e.actor, e.at, str(e.payload.get("text") or ""),
                             tuple(e.payload.get("mentions") or ())) for e in entries if e.kind == COMMENTED)


class CommentCommands:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def comment(self, instance_id: str, actor: str, text: str) -> CommentView:
        """Add a comment to an instance `actor` may see, and notify the people it mentions.

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, FormInvalid (text), ConcurrentUpdate.
        """
        text = (text or "").replace("\r\n", "\n").strip()
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            may, tasks = self.run.seen(uow, user, record, f"instance {instance_id}")  # before the text is judged
            problems = comment_problems(text)
            if problems:
                raise FormInvalid("comment", problems)
            people = _mentioned(uow, text)
            journal = self.run.journal(record, actor)
            entry = journal.add(COMMENTED, {"text": text, "mentions": [p.username for p in people]})
            uow.journal.append(journal.entries)
            record.journal_seq, record.journal_hash = journal.head
            uow.instances.save(record, record.revision)
            readers = [p.username for p in people if p.active and may.may_view(p, record, tasks)]
            notify.notify(uow, self.run.clock, readers, notify.MENTIONED, {
                "instance_id": record.id, "process_key": record.process_key, "actor": user.username,
                "text": text[:200]})
            uow.commit()
            return comments_of([entry])[0]


def _mentioned(uow: UnitOfWork, text: str) -> list:
    """The users the text's ``@name``s name, once each, in order; other ``@word``s are plain text."""
    people = (uow.users.get(name) for name in dict.fromkeys(MENTION.findall(text)))
    return [p for p in people if p is not None]
