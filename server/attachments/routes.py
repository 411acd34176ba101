"""PUT/GET of attachments. A photo is uploaded before the op that refers to it."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile

from flask import current_app, request, send_file
from flask_smorest import Blueprint
from sqlalchemy import select

from server import audit
from server.auth.tokens import current, require_auth
from server.errors import ApiError
from server.extensions import db
from server.models import Attachment, Registration, RegistrationAttachment

blp = Blueprint("attachments", __name__, url_prefix="/api", description="Foto's")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
SIGNATURES = {
    "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
    "image/png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
}


def _path(sha256: str) -> str:
    return os.path.join(current_app.config["ATTACHMENT_DIR"], sha256[:2], sha256)


def _check_hash(sha256: str) -> None:
    if not _SHA256.match(sha256):
        raise ApiError(400, "invalid_hash", "Ongeldige SHA-256 (64 kleine hexadecimale tekens)")


@blp.route("/attachments/<sha256>", methods=["PUT"])
@require_auth("agent", "teamleider")
def put_attachment(sha256: str):  # type: ignore[no-untyped-def]
    """Store the bytes if they hash to ``sha256``; repeating the upload is harmless."""
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
    existing = db.session.get(Attachment, sha256)
    if existing is not None:
        return {"sha256": sha256, "content_type": existing.content_type,
                "size": existing.size}, 200
    path = _path(sha256)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Write then rename: a crash never leaves a half-written file under the final name.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as handle:
        handle.write(body)
    os.replace(tmp, path)
    db.session.add(Attachment(sha256=sha256, content_type=content_type, size=len(body),
                              uploaded_by_id=principal.user.id))
    audit.record([audit.Event("attachment_upload", principal.user.id, principal.device.id,
                              "attachment", [sha256])])
    db.session.commit()
    return {"sha256": sha256, "content_type": content_type, "size": len(body)}, 201


@blp.route("/attachments/<sha256>", methods=["GET"])
@require_auth()
def get_attachment(sha256: str):  # type: ignore[no-untyped-def]
    """The bytes, for a user who may read a registration that refers to them."""
    _check_hash(sha256)
    principal = current()
    attachment = db.session.get(Attachment, sha256)
    allowed = attachment is not None and attachment.uploaded_by_id == principal.user.id
    if attachment is not None and not allowed:
        query = select(Registration.id).join(
            RegistrationAttachment, RegistrationAttachment.registration_id == Registration.id
        ).where(RegistrationAttachment.sha256 == sha256)
        if principal.user.role != "beheerder":
            query = query.where(Registration.team_id == principal.user.team_id)
        allowed = db.session.execute(query.limit(1)).first() is not None
    if not allowed:
        # The same answer whether it is absent or another's; the attempt is audited.
        audit.refused(principal.user.id, principal.device.id, "attachment", [sha256],
                      "attachment")
        raise ApiError(404, message="Foto niet gevonden")
    assert attachment is not None
    content_type = attachment.content_type
    audit.record_read([audit.Event("read", principal.user.id, principal.device.id,
                                   "attachment", [sha256])])
    response = send_file(_path(sha256), mimetype=content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response
