"""File modes: the instance folder holds police data and keys, for this user's eyes only."""

from __future__ import annotations

import os
import stat
import tempfile

from flask import Flask
from sqlalchemy.engine import make_url

# Files are made by SQLite (the database, -wal, -shm), tempfile, logging and the key and
# secret code; SQLite creates with 0644 minus the umask. The process umask is the one place
# that covers every one of them, including files a library adds later.
PRIVATE_UMASK = 0o077


def private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def tighten(app: Flask) -> None:
    """Folders 0700 and files 0600, for an instance made before (or by another umask).

    Only the top level of each folder: a 0700 folder already keeps others out of
    everything below it, and walking every photo at each start would cost seconds.
    """
    folders = {app.instance_path, app.config["ATTACHMENT_DIR"]}
    for folder in folders:
        if os.path.isdir(folder):
            _chmod(app, folder, 0o700)
    with os.scandir(app.instance_path) as entries:
        for entry in entries:
            if entry.is_symlink():
                continue  # chmod would change the target, which may not be ours
            _chmod(app, entry.path, 0o700 if entry.is_dir() else 0o600)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.isfile(url.database + suffix):
                _chmod(app, url.database + suffix, 0o600)


def _chmod(app: Flask, path: str, wanted: int) -> None:
    if stat.S_IMODE(os.lstat(path).st_mode) == wanted:
        return
    try:
        os.chmod(path, wanted)
    except OSError as exc:  # not ours to change: say so, and keep serving
        app.logger.warning("cannot restrict %s to %o: %s", path, wanted, exc)


def create_once(path: str, content: bytes) -> bool:
    """Write ``content`` to ``path`` (0600) unless a file is there; False when it was.

    Written whole under a temporary name and linked into place: a process starting at the
    same moment never reads a half-written file, and the link fails if another process
    made the file first (then theirs is the one every process reads).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if os.path.exists(path):
        return False
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".new-")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)
