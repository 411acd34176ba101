"""PUT/GET of attachments. A photo is uploaded before the op that refers to it."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from typing import Any

from flask import current_app, request, send_file
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server import access, audit
from server.auth.tokens import current, require_auth
from server.errors import ApiError
from server.extensions import db
from server.jsonbody import Blueprint
from server.models import Attachment, AttachmentRight, utcnow

blp = Blueprint("attachments", __name__, url_prefix="/api", description="Foto's")

_SHA256 = re.compile(r"[0-9a-f]{64}")  # fullmatch: ``$`` accepts a final newline
SIGNATURES = {
    "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
    "image/png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
}


def _path(sha256: str) -> str:
    return os.path.join(current_app.config["ATTACHMENT_DIR"], sha256[:2], sha256)


def _check_hash(sha256: str) -> None:
    if not _SHA256.fullmatch(sha256):
        raise ApiError(400, "invalid_hash", "Ongeldige SHA-256 (64 kleine hexadecimale tekens)")


@blp.route("/attachments/<sha256>", methods=["PUT"])
@require_auth(*access.WRITER_ROLES)
def put_attachment(sha256: str):  # type: ignore[no-untyped-def]
    """Store the bytes if they hash to ``sha256``; the uploader gets the right to link and
    read them. 201, as for a first upload, unless the caller uploaded them before (200)."""
    _check_hash(sha256)
    content_type = (request.mimetype or "").lower()
    if content_type not in SIGNATURES:
        raise ApiError(415, message="Alleen JPEG-, PNG- of WebP-foto's",
                       errors={"content_type": [f"{content_type or 'geen'} niet toegestaan"]})
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, message=f"Een foto mag hoogstens {limit // (1024 * 1024)} MB zijn")
    body = request.get_data(cache=False)
    if len(body) > limit:
        raise ApiError(413, message=f"Een foto mag hoogstens {limit // (1024 * 1024)} MB zijn")
    if not body:
        raise ApiError(400, "empty", "De foto is leeg")
    if hashlib.sha256(body).hexdigest() != sha256:
        raise ApiError(400, "hash_mismatch", "De inhoud past niet bij de SHA-256 in het adres")
    if not SIGNATURES[content_type](body):
        raise ApiError(415, message="De inhoud is geen " + content_type,
                       errors={"content_type": ["Inhoud en type komen niet overeen"]})
    principal = current()
    answer = {"sha256": sha256, "content_type": content_type, "size": len(body)}
    if access.holds_upload(principal.user.id, sha256):
        if not os.path.exists(_path(sha256)):
            _store(sha256, body)  # a file lost on disk comes back with the next upload
        return answer, 200  # the caller's own repeat: nothing new to them
    # Whether or not someone else holds these bytes, the answer and the work are those of
    # a first upload (DESIGN.md §8): the caller proves possession and gets the right.
    _store(sha256, body)
    _insert_new(Attachment, sha256=sha256, content_type=content_type, size=len(body),
                uploaded_by_id=principal.user.id, created_at=utcnow())
    _insert_new(AttachmentRight, sha256=sha256, user_id=principal.user.id, created_at=utcnow())
    audit.record([audit.Event("attachment_upload", principal.user.id, principal.device.id,
                              "attachment", [sha256])])
    db.session.commit()
    return answer, 201


def _store(sha256: str, body: bytes) -> None:
    path = _path(sha256)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Write then rename: a crash never leaves a half-written file under the final name,
    # and rewriting the same bytes over an existing file is harmless.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as handle:
        handle.write(body)
    os.replace(tmp, path)


def _insert_new(model: type[Any], **values: object) -> None:
    """INSERT unless the row exists: two users may upload the same bytes at once."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


@blp.route("/attachments/<sha256>", methods=["GET"])
@require_auth(*access.READER_ROLES)
def get_attachment(sha256: str):  # type: ignore[no-untyped-def]
    """The bytes, for their uploader or a user who may read a registration that links them
    (not for a beheerder: need-to-know)."""
    _check_hash(sha256)
    principal = current()
    # The same query and the same answer whether the photo is absent or not the caller's.
    allowed = sha256 in access.photo_rights(principal.user, [sha256])
    attachment = db.session.get(Attachment, sha256) if allowed else None
    if attachment is None:
        # The same answer whether it is absent or another's; the attempt is audited.
        audit.refused(principal.user.id, principal.device.id, "attachment", [sha256],
                      "attachment")
        raise ApiError(404, message="Foto niet gevonden")
    content_type = attachment.content_type
    audit.record_read([audit.Event("read", principal.user.id, principal.device.id,
                                   "attachment", [sha256])])
    response = send_file(_path(sha256), mimetype=content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response
