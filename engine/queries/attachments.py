"""Attachments through the facade: keeping the files a person uploads for a form, and reading
one back for someone who may see it (decision 16)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from engine.commands.runner import Runner
from engine.errors import FieldError, FormInvalid, NotFound, PermissionDenied
from engine.files import StoredFile, Upload, is_attachment, is_sha256, reference, references, upload_problem
from engine.permissions import OPERATOR_NAME


class AttachmentCommands:
    """Store uploads before a form is submitted; read an instance's attachment."""

    def __init__(self, run: Runner):
        self.run = run

    def store_uploads(self, form_key: str, schema: Mapping[str, Any], uploads: Iterable[Upload]) -> dict[str, Any]:
        """Check every upload against its field (size, media type, content) and, only when all
        pass, store them; return field → reference, to put into the form's data.

        Raises:
            FormInvalid: a file is too large, of a type the field does not accept, empty, or its
                content is not what its name says — nothing is stored then.
        """
        properties = schema.get("properties") or {}
        uploads = list(uploads)
        errors: list[FieldError] = []
        for upload in uploads:
            prop = properties.get(upload.field)
            if not is_attachment(prop):
                errors.append(FieldError(upload.field, "takes no file", "unknown"))
            elif (problem := upload_problem(prop, upload)) is not None:
                errors.append(problem)
        if errors:
            raise FormInvalid(form_key, errors)
        return {u.field: reference(u, self.run.files.put(u.content)) for u in uploads}

    def attachment(self, instance_id: str, sha256: str, actor: str = OPERATOR_NAME) -> StoredFile:
        """A file attached to the instance, for `actor` if they may see the instance and the
        field that holds it (a confidential field they are not cleared for hides its file too).

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, NotFound (not one of the
            instance's files as `actor` reads them, or no longer stored).
        """
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            self.run.seen(uow, user, record, f"instance {instance_id}")
            redactor = self.run.redactor(uow, record.version_hash, user)
            entries = [redactor.entry(e) for e in uow.journal.for_instance(instance_id)]
        if not is_sha256(sha256):
            raise NotFound(f"no file {sha256!r} in instance {instance_id}")
        found = None
        for entry in entries:
            for _, ref in references(entry.payload.get("data")):
                if ref["sha256"] == sha256:
                    found = ref
        if found is None:
            if any(_hides(e.payload.get("data")) for e in entries):
                raise PermissionDenied(f"{actor} may not read the files of confidential fields of {instance_id}")
            raise NotFound(f"no file {sha256} in instance {instance_id}")
        content = self.run.files.get(sha256)
        if content is None:
            raise NotFound(f"the file {found['name']!r} ({sha256}) is no longer stored")
        return StoredFile(str(found["name"]), str(found["type"]), content)


def _hides(data: Any) -> bool:
    """Whether a journal entry's data holds a value hidden from the reader."""
    return isinstance(data, Mapping) and any(isinstance(v, Mapping) and v.get("confidential") is True
                                             for v in data.values())
