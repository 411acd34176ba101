"""Command line: ``flask --app server <command>``."""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import Select, delete, select

from server import audit
from server.auth.passwords import hash_password
from server.auth.tokens import ROLES
from server.extensions import db
from server.models import (
    Attachment,
    AttachmentRight,
    ProcessedOp,
    Registration,
    RegistrationAttachment,
    Revision,
    Team,
    User,
    utcnow,
)

DEMO_PASSWORD = "wijkpost-demo"
DEMO_USERS = (
    ("agent1", "Agent Anouk de Vries", "agent", "Centrum"),
    ("agent2", "Agent Bram Jansen", "agent", "Centrum"),
    ("leider1", "Teamleider Carla Smit", "teamleider", "Centrum"),
    ("beheer1", "Beheerder Daan Visser", "beheerder", None),
    ("agent3", "Agent Emre Yilmaz", "agent", "Noord"),
)


def init_database() -> None:
    """Create or migrate the schema to the newest revision."""
    upgrade()


def ensure_team(name: str) -> Team:
    team = db.session.execute(select(Team).where(Team.name == name)).scalar_one_or_none()
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def make_user(username: str, role: str, password: str, team: str | None = None,
              display_name: str = "") -> User:
    if role not in ROLES:
        raise click.BadParameter(f"rol moet een van {', '.join(ROLES)} zijn")
    if db.session.execute(select(User).where(User.username == username)).first():
        raise click.ClickException(f"Gebruiker {username} bestaat al")
    team_row = ensure_team(team) if team else None
    user = User(username=username, role=role, password_hash=hash_password(password),
                team_id=team_row.id if team_row else None, display_name=display_name)
    db.session.add(user)
    db.session.flush()
    return user


def seed_demo() -> bool:
    """Demo teams with their wijken in Utrecht, areas of attention and notices, for a first
    look; False when the database already has users."""
    if db.session.execute(select(User.id).limit(1)).first():
        return False
    made = {username: make_user(username, role, DEMO_PASSWORD, team, name)
            for username, name, role, team in DEMO_USERS}
    from server import demo_geo

    demo_geo.seed(made["beheer1"].id)
    db.session.commit()
    return True


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create or migrate the database."""
        init_database()
        click.echo("Database is bijgewerkt.")

    @app.cli.command("create-team")
    @click.argument("name")
    def create_team_command(name: str) -> None:
        """Create a team (basisteam)."""
        ensure_team(name)
        db.session.commit()
        click.echo(f"Team {name} bestaat.")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--team", default=None)
    @click.option("--password", default=None)
    @click.option("--name", "display_name", default="")
    def create_user_command(username: str, role: str, team: str | None,
                            password: str | None, display_name: str) -> None:
        """Create a user; prompts for the password when none is given."""
        if role != "beheerder" and not team:
            raise click.UsageError("--team is nodig voor een agent of teamleider")
        if password is None:
            password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)
        if len(password) < 8:
            raise click.BadParameter("minstens 8 tekens", param_hint="--password")
        make_user(username, role, password, team, display_name)
        db.session.commit()
        click.echo(f"Gebruiker {username} ({role}) aangemaakt.")

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Seed a demo team when the database has no users, and print the logins."""
        if seed_demo():
            click.echo(f"Demo-gebruikers aangemaakt (wachtwoord: {DEMO_PASSWORD}):")
            for username, name, role, team in DEMO_USERS:
                click.echo(f"  {username:8} {role:11} {team or '-':8} {name}")
        else:
            click.echo("De database heeft al gebruikers; niets toegevoegd.")

    @app.cli.command("audit-verify")
    def audit_verify_command() -> None:
        """Chain pending read events, then check every MAC and link of the audit chain and
        that it reaches the anchors kept outside the database; exits 1 and names the
        first bad entry."""
        audit.chain_pending()
        ok, bad_id, message = audit.verify()
        click.echo(("Auditlog in orde: " if ok else "Auditlog BESCHADIGD: ") + message)
        if not ok and bad_id is not None:
            click.echo(f"Eerste foute regel: {bad_id}")
        if not ok:
            sys.exit(1)

    @app.cli.command("purge-expired")
    def purge_expired_command() -> None:
        """Remove registrations past their retention period (a pull sees them go)."""
        click.echo(f"{purge_expired()} registraties verwijderd.")

    @app.cli.command("spatial-index")
    def spatial_index_command() -> None:
        """Create the briefing's spatial index this database supports (PostGIS when
        installed since the migration ran); prints which one is in use."""
        from server.spatial_schema import install

        backend = install(db.session.connection())
        db.session.commit()
        click.echo(f"Ruimtelijke index: {backend}")

    @app.cli.command("search-index")
    def search_index_command() -> None:
        """Index every registration's narrative, street and place anew for the review
        list's search (a repair; on PostgreSQL also after installing unaccent)."""
        from server.search import rebuild

        count, accents = rebuild(db.session.connection())
        db.session.commit()
        click.echo(f"Zoekindex: {count} registraties"
                   + ("" if accents else " (accenten tellen mee: unaccent ontbreekt)"))

    @app.cli.command("run-jobs")
    def run_jobs_command() -> None:
        """Run every registered job once and exit (for cron and tests)."""
        from server import scheduler

        click.echo(f"audit: {audit.chain_pending()} gelezen gebeurtenissen in de keten.")
        failed = False
        for name, ok, result in scheduler.run_all(current_app._get_current_object()):
            click.echo(f"{name}: {result}" if ok else f"{name}: MISLUKT: {result}")
            failed = failed or not ok
        if failed:
            sys.exit(1)

    @app.cli.command("vapid-keys")
    @click.option("--env", "as_env", is_flag=True,
                  help="Make a new pair and print it for WIJKPOST_VAPID_PRIVATE_KEY; "
                       "nothing is stored.")
    def vapid_keys_command(as_env: bool) -> None:
        """Create the VAPID key (in WIJKPOST_VAPID_KEY_FILE or the instance folder) unless
        there is one; print the public key."""
        from cryptography.hazmat.primitives.asymmetric import ec

        from server.webpush import vapid

        if as_env:
            key = ec.generate_private_key(ec.SECP256R1())
            click.echo(f"WIJKPOST_VAPID_PRIVATE_KEY={vapid.private_raw_b64(key)}")
            click.echo(f"Publieke sleutel (applicationServerKey): {vapid.public_b64(key)}")
            return
        try:
            keys = vapid.load(current_app._get_current_object(), create_configured=True)
        except vapid.VapidKeyError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"VAPID-sleutel uit: {keys.source}")
        click.echo(f"Publieke sleutel (applicationServerKey): {keys.public_key}")
        click.echo("Gebruik deze sleutel op elke server: abonnementen horen bij dit paar.")


def hotspots_job() -> str:
    from server.hotspots import compute_hotspots

    tally = compute_hotspots()
    return (f"{tally['created']} nieuw, {tally['changed']} gewijzigd, "
            f"{tally['removed']} verdwenen")


def purge_expired_job() -> str:
    return f"{purge_expired()} registraties verwijderd"


def expired_registrations(cutoff: datetime) -> Select[tuple[str, int]]:
    """Registrations not changed since ``cutoff``. A registration is changed after it is
    made, so only one made before the cutoff can be: per team, ``ix_registrations_team_
    created`` narrows to those, and an index on the change time, kept up to date by every
    push, is not needed. Those made before the cutoff and changed since (an amendment to
    a case years old) are read and left: few, with a retention of years."""
    return select(Registration.id, Registration.team_id).where(
        Registration.team_id.in_(select(Team.id)), Registration.created_at < cutoff,
        Registration.updated_at < cutoff)


# Registrations purged per transaction: each batch holds the write lock briefly, so a
# purge after a long pause (or a shortened retention) never stops the pushes for long.
PURGE_BATCH = 500


def purge_expired(now: datetime | None = None) -> int:
    """Delete registrations whose retention ended, with everything of them: revisions,
    processed ops, photo links, and photos no other registration links (row, upload rights
    and file). Photos never linked and uploaded before the retention go too. The ids go to
    the change log, so a pull removes them from devices. In batches of ``PURGE_BATCH``,
    each committed on its own."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["RETENTION_DAYS_REGISTRATIONS"])
    total = 0
    while True:
        count, more = _purge_batch(cutoff, PURGE_BATCH)
        total += count
        if not more:
            return total


def _purge_batch(cutoff: datetime, size: int) -> tuple[int, bool]:
    """Up to ``size`` expired registrations and ``size`` never linked old photos, in one
    transaction; returns how many registrations went and whether more may be left."""
    from server import changes, spatial

    rows = db.session.execute(expired_registrations(cutoff).limit(size)).all()
    ids = [r.id for r in rows]
    linked: set[str] = set()
    if ids:
        for part in _chunks(ids):
            linked.update(db.session.scalars(select(RegistrationAttachment.sha256).where(
                RegistrationAttachment.registration_id.in_(part))))
            # its ops: those that wrote a revision through it, the others by record id
            db.session.execute(delete(ProcessedOp).where(ProcessedOp.op_id.in_(
                select(Revision.op_id).where(Revision.registration_id.in_(part),
                                             Revision.op_id.is_not(None)))))
            db.session.execute(delete(ProcessedOp).where(ProcessedOp.record_id.in_(part)))
            db.session.execute(delete(Revision).where(Revision.registration_id.in_(part)))
            db.session.execute(delete(RegistrationAttachment).where(
                RegistrationAttachment.registration_id.in_(part)))
            db.session.execute(delete(Registration).where(Registration.id.in_(part)))
            spatial.unindex_registrations(part)
        changes.mark(("registration", r.id, r.team_id, True) for r in rows)
        audit.record([audit.Event("purge", None, None, "registration", ids)])
    unlinked = ~select(RegistrationAttachment.sha256).where(
        RegistrationAttachment.sha256 == Attachment.sha256).exists()
    never_linked = set(db.session.scalars(select(Attachment.sha256).where(
        Attachment.created_at < cutoff, unlinked).limit(size)))
    orphans = set(never_linked)
    for part in _chunks(sorted(linked)):
        orphans.update(db.session.scalars(select(Attachment.sha256).where(
            Attachment.sha256.in_(part), unlinked)))
    for part in _chunks(sorted(orphans)):
        db.session.execute(delete(AttachmentRight).where(AttachmentRight.sha256.in_(part)))
        db.session.execute(delete(Attachment).where(Attachment.sha256.in_(part)))
    db.session.commit()
    # Files go after the commit: a crash in between leaves a file without a row (never
    # read again), never a row whose file is gone.
    for sha256 in orphans:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(current_app.config["ATTACHMENT_DIR"], sha256[:2], sha256))
    return len(ids), len(ids) == size or len(never_linked) == size


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    """IN lists of a bounded length (drivers cap the number of parameters)."""
    return [values[i:i + size] for i in range(0, len(values), size)]
