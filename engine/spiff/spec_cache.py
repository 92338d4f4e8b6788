"""Compiled versions remembered across processes, by content hash.

A version is immutable, so its files always compile to the same specs under the same code: what
one process compiled (the web app, a worker, an earlier `zhidu` call) the next can read instead of
parsing and checking the BPMN again (tens to hundreds of milliseconds a version). An entry is
named by the version's content hash and a fingerprint of the compiling code (zhidu's engine
package, SpiffWorkflow's version, Python's), so changed code never reads what other code compiled.

Entries hold the specs as a pickle. SpiffWorkflow's spec serializer does not round-trip what
zhidu's parser builds (a DMN task's hit-policy engine comes back as the plain one, the end task
loses its inputs: tests/engine/test_spec_cache.py shows it), and pickle restores the object graph
exactly. Unpickling runs code the data names, so an entry is unpickled only after its HMAC, under
a key derived from the installation's secret and over the entry's name and body, checks: an entry
written by anyone else, renamed from another version, corrupt or truncated is never unpickled but
compiled afresh and rewritten. The forms travel beside the pickle as plain JSON, so a reader that
only lists tasks (`zhidu tasks`) needs neither pickle nor SpiffWorkflow; and such a reader, having
once checked a version's stored files against its hash, leaves a signed mark of the bytes it
checked (`mark_checked`), so the next need only compare bytes instead of importing what hashes.

Nothing here touches files: `EntryStore` is the port, storage/compiled_store.py the folder.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:  # the module stays light: forms are read without SpiffWorkflow
    from engine.definitions.bundles import ProcessBundle
    from engine.spiff.specs import CompiledVersion

MAGIC = b"zhidu-compiled-version 1"
CHECKED_MAGIC = b"zhidu-checked-files 1"
ENTRY_NAME = re.compile(r"^[0-9a-f]{64}(\.checked)?-[0-9a-f]{16}$")  # a compiled version, or a checked mark
_HASH = re.compile(r"^[0-9a-f]{64}$")
_KEY_LABEL = b"zhidu compiled-version cache"


class EntryStore(Protocol):
    """Where entries are kept, by name (`<content hash>-<code fingerprint>`)."""

    def read(self, name: str) -> bytes | None:
        """The entry's bytes; None when there is none (or it cannot be trusted to be ours)."""

    def write(self, name: str, data: bytes) -> None:
        """Keep the entry (best effort: a cache that cannot be written only costs a compile)."""


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code that compiles: every module of the engine package, SpiffWorkflow's
    version file and the Python version (the classes a pickle names must be the same classes);
    empty when the engine's sources are not there to hash (then nothing is cached)."""
    digest = hashlib.sha256(sys.version.encode())
    engine_dir = Path(__file__).resolve().parent.parent
    sources = sorted(engine_dir.rglob("*.py"))
    if not sources:
        return ""
    for path in sources:
        digest.update(b"\0" + path.relative_to(engine_dir).as_posix().encode() + b"\0" + path.read_bytes())
    spiff = find_spec("SpiffWorkflow")  # located, not imported: the forms reader stays light
    if spiff is not None and spiff.origin:
        version_file = Path(spiff.origin).with_name("version.py")
        digest.update(b"\0SpiffWorkflow\0" + (version_file.read_bytes() if version_file.is_file() else b"?"))
    return digest.hexdigest()[:16]


class CompiledVersions:
    """compile_bundle, remembered across processes in an `EntryStore`."""

    def __init__(self, store: EntryStore, secret: bytes, compile_fn: Callable[..., Any] | None = None):
        """`secret`: the installation's key (never written beside the entries); `compile_fn`:
        what compiles on a miss (default engine/spiff/specs.py's compile_bundle)."""
        self.store = store
        self._key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()
        self._compile_fn = compile_fn

    def compile(self, bundle: ProcessBundle) -> CompiledVersion:
        """The compiled version of `bundle`: read when an entry is there and sound, else compiled
        and written.

        Raises:
            DefinitionInvalid: the bundle does not compile (nothing is written).
        """
        if not code_fingerprint():
            return self._compile(bundle)
        name = entry_name(bundle.content_hash)
        body = self._body(name, self.store.read(name))
        found = _unpickled(body, bundle) if body is not None else None
        if found is not None:
            return found
        compiled = self._compile(bundle)
        entry = self._entry(name, compiled)
        if entry is not None:
            self.store.write(name, entry)
        return compiled

    def forms(self, content_hash: str) -> dict[str, dict[str, Any]] | None:
        """The forms of a compiled version (key -> key, title, schema, ui) without unpickling;
        None when no sound entry holds them."""
        if not _HASH.match(content_hash) or not code_fingerprint():
            return None
        name = entry_name(content_hash)
        body = self._body(name, self.store.read(name))
        if body is None:
            return None
        forms = json.loads(body.split(b"\n", 1)[0])
        return forms if isinstance(forms, dict) else None

    def checked(self, content_hash: str, stored: bytes) -> bool:
        """Whether `stored` (a version's files, as the database holds them) is what was found to
        hash to `content_hash` before (`mark_checked`)."""
        if not _HASH.match(content_hash) or not code_fingerprint():
            return False
        name = _checked_name(content_hash)
        mark = self.store.read(name)
        return mark is not None and hmac.compare_digest(mark, self._checked_mark(name, stored))

    def mark_checked(self, content_hash: str, stored: bytes) -> None:
        """Remember that `stored` hashes to `content_hash`: the caller has just checked it."""
        if _HASH.match(content_hash) and code_fingerprint():
            name = _checked_name(content_hash)
            self.store.write(name, self._checked_mark(name, stored))

    def _checked_mark(self, name: str, stored: bytes) -> bytes:
        return CHECKED_MAGIC + b"\n" + self._mac(name, hashlib.sha256(stored).hexdigest().encode())

    def _compile(self, bundle: ProcessBundle) -> CompiledVersion:
        if self._compile_fn is not None:
            return self._compile_fn(bundle)
        from engine.spiff import specs  # looked up at call time, so a test may swap it

        return specs.compile_bundle(bundle)

    def _mac(self, name: str, body: bytes) -> bytes:
        return hmac.new(self._key, name.encode() + b"\n" + body, hashlib.sha256).hexdigest().encode()

    def _body(self, name: str, data: bytes | None) -> bytes | None:
        """The entry's body (forms line, then the pickle) once its format and HMAC check."""
        if not data:
            return None
        magic, _, rest = data.partition(b"\n")
        mac, _, body = rest.partition(b"\n")
        if magic != MAGIC or not hmac.compare_digest(mac, self._mac(name, body)):
            return None
        return body

    def _entry(self, name: str, compiled: CompiledVersion) -> bytes | None:
        """The bytes to store; None when the specs cannot be pickled (then nothing is cached)."""
        import pickle  # here, not at the top: reading forms needs no pickle

        try:
            specs = pickle.dumps((compiled.spec, compiled.subprocess_specs, compiled.forms, compiled.user_tasks),
                                 protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return None
        body = _forms_line(compiled.forms) + b"\n" + specs
        return MAGIC + b"\n" + self._mac(name, body) + b"\n" + body


def entry_name(content_hash: str) -> str:
    """The entry of a version compiled by this code."""
    return f"{content_hash}-{code_fingerprint()}"


def _checked_name(content_hash: str) -> str:
    """The mark of a version's stored files checked by this code."""
    return f"{content_hash}.checked-{code_fingerprint()}"


def _forms_line(forms: dict[str, Any]) -> bytes:
    """The forms as one line of JSON; `null` when JSON would not give them back exactly (a date
    a YAML file wrote unquoted, say): the forms reader then falls back to the engine."""
    plain = {key: {"key": f.key, "title": f.title, "schema": f.schema, "ui": f.ui} for key, f in forms.items()}
    try:
        text = json.dumps(plain, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        return b"null"
    return text.encode() if json.loads(text) == plain else b"null"


def _unpickled(body: bytes, bundle: ProcessBundle) -> CompiledVersion | None:
    """The compiled version an (authenticated) body holds; None when it does not load."""
    import pickle

    from engine.spiff.specs import CompiledVersion

    try:
        spec, subprocess_specs, forms, user_tasks = pickle.loads(body.split(b"\n", 1)[1])
    except Exception:  # written by us (the HMAC says so) yet unreadable: compile instead
        return None
    if not all(isinstance(part, dict) for part in (subprocess_specs, forms, user_tasks)):
        return None
    return CompiledVersion(bundle, spec, subprocess_specs, forms, user_tasks)
