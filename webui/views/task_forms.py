"""Which form a task's page was drawn with, so that submitting it need not read the task again.

Turning the browser's strings into the types of the form's JSON Schema needs the form before
the engine's command runs, and reading the task for it cost a unit of work (about a millisecond
on SQLite) in every submission. The task page instead carries a reference in a hidden field:
the version's content hash and the form's key, signed with the app's secret over the task id and
the signed-in user, so it fits that task and that person only. Versions never change (DESIGN 2),
so each web process keeps the forms of the task pages it drew by (content hash, key) and finds
the form of a submission there; a reference missing, altered or not known in this process (the
page came from another one) falls back to reading the task. Only a page fills the cache: it
knows the version its form belongs to, where reading a task after its instance was migrated
would give the new version's form. Nothing is trusted from the reference beyond the typing of the strings: the
command still checks who may complete the task and validates the data against the form.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import Callable

from engine.views import FormView

FIELD = "form_ref"
_NONE = ""  # the key of "this task has no form"


class TaskForms:
    """The forms this process has drawn task pages with, by (version content hash, form key)."""

    def __init__(self, secret: str | bytes, size: int = 512):
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        self._key = hmac.new(raw, b"zhidu task form reference", hashlib.sha256).digest()
        self._forms: OrderedDict[tuple[str, str], FormView | None] = OrderedDict()
        self._size, self._lock = size, threading.Lock()

    def reference(self, task_id: str, username: str, version_hash: str, form: FormView | None) -> str:
        """The hidden field's value for `task_id`'s page as `username` sees it (and keep `form`)."""
        key = form.key if form else _NONE
        self._keep((version_hash, key), form)
        return f"{self._sign(task_id, username, version_hash, key)}.{version_hash}.{key}"

    def form(self, task_id: str, username: str, reference: str, read: Callable[[], FormView | None]) -> FormView | None:
        """The task's form: the one `reference` names when it is sound and known here, else `read()`."""
        signature, _, rest = reference.partition(".")
        version_hash, _, key = rest.partition(".")
        if not version_hash or not hmac.compare_digest(signature, self._sign(task_id, username, version_hash, key)):
            return read()
        with self._lock:
            if (version_hash, key) in self._forms:
                self._forms.move_to_end((version_hash, key))
                return self._forms[(version_hash, key)]
        return read()

    def _sign(self, task_id: str, username: str, version_hash: str, key: str) -> str:
        message = "\0".join((task_id, username, version_hash, key)).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def _keep(self, where: tuple[str, str], form: FormView | None) -> None:
        with self._lock:
            self._forms[where] = form
            self._forms.move_to_end(where)
            while len(self._forms) > self._size:
                self._forms.popitem(last=False)
