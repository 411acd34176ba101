"""Command line: ``flask --app server <command>``."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import delete, select

from server import audit
from server.auth.passwords import hash_password
from server.auth.tokens import ROLES
from server.extensions import db
from server.models import Registration, Team, User, utcnow

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
        """Check the audit chain; exits 1 and names the first bad entry."""
        ok, bad_id, message = audit.verify()
        click.echo(("Auditlog in orde: " if ok else "Auditlog BESCHADIGD: ") + message)
        if not ok:
            click.echo(f"Eerste foute regel: {bad_id}")
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

    @app.cli.command("run-jobs")
    def run_jobs_command() -> None:
        """Run every due job once and exit (for cron and tests)."""
        click.echo(f"purge-expired: {purge_expired()} registraties verwijderd.")
        from server.hotspots import compute_hotspots

        tally = compute_hotspots()
        click.echo(f"hotspots: {tally['created']} nieuw, {tally['changed']} gewijzigd, "
                   f"{tally['removed']} verdwenen.")


def purge_expired() -> int:
    """Delete registrations whose retention ended; their ids go to the change log."""
    from server import changes, spatial
    from server.models import RegistrationAttachment, Revision

    days = current_app.config["RETENTION_DAYS_REGISTRATIONS"]
    cutoff = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(Registration.id, Registration.team_id).where(Registration.updated_at < cutoff)
    ).all()
    ids = [r.id for r in rows]
    if not ids:
        return 0
    db.session.execute(delete(Revision).where(Revision.registration_id.in_(ids)))
    db.session.execute(delete(RegistrationAttachment).where(
        RegistrationAttachment.registration_id.in_(ids)))
    db.session.execute(delete(Registration).where(Registration.id.in_(ids)))
    spatial.unindex_registrations(ids)
    changes.mark(("registration", r.id, r.team_id, True) for r in rows)
    audit.record([audit.Event("purge", None, None, "registration", ids)])
    db.session.commit()
    return len(ids)
