"""Attachments kept as evidence (decision 16): the file storage port and what is pure about files.

A file is named by the SHA-256 of its bytes, so the same content is stored once, a stored file
cannot be swapped without its name changing, and the journal needs only the hash to vouch for
it. Form data holds a small reference to the file (`reference`): its hash, the name it was
uploaded under, its size and its media type. The reference is journaled with the rest of the
submission, so `verify` can tell a missing or altered file by name.

A form property becomes an attachment with `format: attachment` (written on a string property;
`expand_attachment` turns it into the object schema of a reference), `maxSize` (bytes, default
20 MB) and `x-media-types` (allowed media types; `image/*` allows every image).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Protocol

from engine.errors import FieldError

ATTACHMENT_FORMAT = "attachment"
MAX_SIZE_KEYWORD = "maxSize"
MEDIA_TYPES_KEYWORD = "x-media-types"
DEFAULT_MAX_SIZE = 20 * 1024 * 1024
CEILING = 200 * 1024 * 1024          # no form may accept more in one field
NAME_LENGTH = 255
REFERENCE_KEYS = frozenset({"sha256", "name", "size", "type"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
# The first bytes of the types whose content is easy to tell; a file claiming one of these
# types by its name must start so (an .exe renamed .pdf is refused as not a PDF).
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
}
_OFFICE = "application/vnd.openxmlformats-officedocument."


class FileStore(Protocol):
    """Where attachment bytes live, by their SHA-256 (a folder today, an object store later)."""

    def put(self, content: bytes) -> str:
        """Store `content` (once, whatever how often it is put); return its SHA-256."""

    def get(self, sha256: str) -> bytes | None:
        """The bytes stored under `sha256`, as they are now (None when there are none)."""

    def exists(self, sha256: str) -> bool: ...


class MemoryFiles:
    """A file store in memory: the default of an engine built without one, and for tests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, content: bytes) -> str:
        digest = sha256_of(content)
        self.files.setdefault(digest, bytes(content))
        return digest

    def get(self, sha256: str) -> bytes | None:
        return self.files.get(sha256)

    def exists(self, sha256: str) -> bool:
        return sha256 in self.files


@dataclass(frozen=True)
class Upload:
    """One file a person sent for a form field: the name their computer gave it, its bytes, and
    the media type their browser declared (not trusted: see `media_type_of`)."""

    field: str
    filename: str
    content: bytes
    declared_type: str = ""


@dataclass(frozen=True)
class StoredFile:
    """An attachment read back for download."""

    name: str
    media_type: str
    content: bytes


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def is_sha256(text: Any) -> bool:
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


def relative_path(sha256: str) -> str:
    """Where a store keeps a file: `ab/cdef…` (two hex digits of fan-out, then the rest).

    Raises:
        ValueError: `sha256` is not 64 lower-case hex digits (never a path to follow).
    """
    if not is_sha256(sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:]}"


def is_attachment(prop: Any) -> bool:
    return isinstance(prop, Mapping) and prop.get("format") == ATTACHMENT_FORMAT


def expand_attachment(prop: Mapping[str, Any]) -> dict[str, Any]:
    """The schema of an attachment property: an object holding a file's reference, with the
    author's `maxSize` (default 20 MB) and `x-media-types` kept. Idempotent."""
    kept = {k: v for k, v in prop.items() if k not in ("type", "properties", "required", "additionalProperties",
                                                         "minLength", "maxLength", "pattern")}
    kept.setdefault(MAX_SIZE_KEYWORD, DEFAULT_MAX_SIZE)
    return {**kept, "type": "object", "additionalProperties": False, "required": sorted(REFERENCE_KEYS),
            "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                           "name": {"type": "string", "minLength": 1, "maxLength": NAME_LENGTH},
                           "size": {"type": "integer", "minimum": 0},
                           "type": {"type": "string", "minLength": 1, "maxLength": 255}}}


def attachment_problem(name: str, prop: Mapping[str, Any]) -> str | None:
    """Why an attachment property cannot be used (None when it can)."""
    size = prop.get(MAX_SIZE_KEYWORD, DEFAULT_MAX_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= CEILING:
        return f"field {name!r}: {MAX_SIZE_KEYWORD} must be a number of bytes from 1 to {CEILING}"
    types = prop.get(MEDIA_TYPES_KEYWORD)
    if types is not None and not (isinstance(types, list) and types and
                                  all(isinstance(t, str) and "/" in t for t in types)):
        return f"field {name!r}: {MEDIA_TYPES_KEYWORD} must list media types such as application/pdf or image/*"
    return None


def max_size(prop: Mapping[str, Any]) -> int:
    size = prop.get(MAX_SIZE_KEYWORD, DEFAULT_MAX_SIZE)
    return size if isinstance(size, int) and not isinstance(size, bool) else DEFAULT_MAX_SIZE


def size_text(size: Any) -> str:
    """A number of bytes as people read it: 512 B, 12 KB, 3.4 MB (the same in zh and en)."""
    if not isinstance(size, int) or size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def media_type_of(filename: str, declared: str = "") -> str:
    """The media type a file is kept under: from its name's extension (the server's reading),
    else what the browser declared, else application/octet-stream."""
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    chosen = guessed or declared.split(";")[0].strip().lower()
    return chosen if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", chosen or "") else "application/octet-stream"


def type_allowed(media_type: str, allowed: Any) -> bool:
    """Whether `media_type` is one of `allowed` (`image/*` allows every image; none: all)."""
    if not allowed:
        return True
    family = media_type.split("/")[0]
    return any(a == media_type or a == f"{family}/*" or a == "*/*" for a in allowed)


def content_matches(media_type: str, content: bytes) -> bool:
    """Whether the bytes start as files of that type do (types without a known signature pass)."""
    signatures = _SIGNATURES.get(media_type)
    if signatures is None and media_type.startswith(_OFFICE):
        signatures = _SIGNATURES["application/zip"]
    return signatures is None or content.startswith(signatures)


def safe_name(filename: str) -> str:
    """The last part of an uploaded file's name, without control characters or slashes."""
    base = re.split(r"[/\\]", filename or "")[-1]
    base = _UNSAFE_NAME.sub("", base).strip()[:NAME_LENGTH]
    return base or "file"


def upload_problem(prop: Mapping[str, Any], upload: Upload) -> FieldError | None:
    """Why `upload` may not be kept for its attachment field (size, type, content), or None."""
    limit = max_size(prop)
    if len(upload.content) > limit:
        return FieldError(upload.field, f"the file is larger than {size_text(limit)}", "file_size",
                          {"limit": size_text(limit)})
    if not upload.content:
        return FieldError(upload.field, "the file is empty", "file_empty")
    media_type = media_type_of(upload.filename, upload.declared_type)
    allowed = prop.get(MEDIA_TYPES_KEYWORD)
    if not type_allowed(media_type, allowed):
        return FieldError(upload.field, f"files of type {media_type} are not accepted", "file_type",
                          {"limit": ", ".join(allowed or [])})
    if not content_matches(media_type, upload.content):
        return FieldError(upload.field, f"the file's content is not {media_type}", "file_content",
                          {"limit": media_type})
    return None


def reference(upload: Upload, sha256: str) -> dict[str, Any]:
    """What form data holds for a stored upload (and the journal records)."""
    return {"sha256": sha256, "name": safe_name(upload.filename), "size": len(upload.content),
            "type": media_type_of(upload.filename, upload.declared_type)}


def is_reference(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == REFERENCE_KEYS and is_sha256(value.get("sha256"))


def references(data: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field, reference) for every file reference among the top-level values of `data`."""
    if isinstance(data, Mapping):
        for name, value in data.items():
            if is_reference(value):
                yield str(name), value


def file_status(files: FileStore, ref: Mapping[str, Any]) -> str:
    """"ok", "missing" (no file under the hash) or "altered" (its bytes no longer hash to it)."""
    content = files.get(str(ref["sha256"]))
    if content is None:
        return "missing"
    return "ok" if sha256_of(content) == ref["sha256"] and len(content) == ref["size"] else "altered"


def reference_problem(files: FileStore | None, prop: Mapping[str, Any],
                      ref: Mapping[str, Any]) -> tuple[str, str, Any] | None:
    """Why a submitted reference does not name a stored file this field accepts, as (code,
    message, limit); None when it does. Without `files` only size and type are checked."""
    if isinstance(ref.get("size"), int) and ref["size"] > max_size(prop):
        return "file_size", f"the file is larger than {size_text(max_size(prop))}", size_text(max_size(prop))
    allowed = prop.get(MEDIA_TYPES_KEYWORD)
    if not type_allowed(str(ref.get("type")), allowed):
        return "file_type", "the file type is not accepted", ", ".join(allowed or [])
    if files is not None and is_sha256(ref.get("sha256")) and file_status(files, ref) != "ok":
        return "file_missing", "the attached file is not stored (upload it again)", None
    return None
