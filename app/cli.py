"""The `accession` command: serve the site, migrate the database, load demo data."""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import get_engine, get_sessionmaker, get_write_sessionmaker
from app.errors import DomainError
from app.models import Role

WILDCARD_HOSTS = ("0.0.0.0", "::", "")

app = typer.Typer(help="Accession Tracker: aspirant states against accession benchmarks.",
                  no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
users_app = typer.Typer(help="People who may write: analysts and admins.", no_args_is_help=True)
tokens_app = typer.Typer(help="Bearer API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def run_migrations(engine: Engine, revision: str, *, down: bool = False,
                   configure_logger: bool = True) -> None:
    """Upgrades (or downgrades) to `revision` in one transaction. On SQLite, foreign keys are
    checked once at the end instead of at each statement: SQLite alters a table by building a
    new one and dropping the old, which for a moment leaves the rows that refer to it without
    their row. PRAGMA foreign_keys is ignored inside a transaction, so it is set before."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # on the driver's connection: SQLAlchemy would begin a transaction first
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config = alembic_config()
                config.attributes["connection"] = connection
                config.attributes["configure_logger"] = configure_logger
                (command.downgrade if down else command.upgrade)(config, revision)
                if sqlite:
                    orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if orphans:
                        raise RuntimeError("the migration would leave rows whose referenced "
                                           f"rows are missing: {orphans[:5]}; nothing changed")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def upgrade_database(revision: str = "head") -> None:
    run_migrations(get_engine(), revision)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade_database(revision)
    typer.echo(f"Database at {revision}: {get_settings().database_url}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    run_migrations(get_engine(), revision, down=True)


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing (and succeed) if data exists.")
    ] = False,
) -> None:
    """Load the demo data set (real public figures plus illustrative ones) into an empty
    database."""
    from app.demo import is_empty, load_demo

    with get_sessionmaker()() as session:
        if not is_empty(session):
            if if_empty:
                typer.echo("The database already holds candidates; demo data not loaded.")
                return
            typer.echo("The database already holds candidates; demo data loads only into an "
                       "empty database.", err=True)
            raise typer.Exit(1)
        counts = load_demo(session)
    typer.echo("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


def log_config(level: str) -> dict[str, object]:
    """uvicorn's own messages, plus one JSON line per request from app.access (uvicorn's
    access log is off: it would print query strings)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        # A stream dropped on purpose is not an error (app/events/streams.py).
        "filters": {"dropped_streams": {"()": "app.events.streams.DroppedStreamLog"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr", "filters": ["dropped_streams"]}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "app": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (ACCESSION_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ACCESSION_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the site and the API with uvicorn."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    workers = workers or settings.workers
    if (not settings.base_url and host in WILDCARD_HOSTS
            and settings.environment == "production"):
        # http://0.0.0.0:8000 is no address a reader can follow, and every Host the proxy
        # passes on would be refused.
        raise fail("Listening on every interface: set ACCESSION_BASE_URL to the site's public "
                   "address (and ACCESSION_ALLOWED_HOSTS if other names reach it).")
    # The workers read their settings from the environment: links name the address served,
    # unless ACCESSION_BASE_URL says otherwise.
    if not settings.base_url:
        os.environ["ACCESSION_BASE_URL"] = f"http://{host}:{port}"
    # The workers count each address's open event streams together, in a file of this server.
    runtime = Path(tempfile.mkdtemp(prefix="accession-serve-"))
    os.environ["ACCESSION_STREAMS_SHARED_FILE"] = str(runtime / "streams.sqlite")
    # One key for every worker, the configured one or the one made for this server: a preview
    # link that one worker signed must hold at another.
    os.environ["ACCESSION_SECRET_KEY"] = settings.secret_key.get_secret_value()
    get_settings.cache_clear()
    settings = get_settings()
    try:
        _run_uvicorn(settings, host, port, workers, reload)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def _run_uvicorn(settings: Settings, host: str, port: int, workers: int, reload: bool) -> None:
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        access_log=False,
        proxy_headers=True,
        # A worker on a busy machine may take longer than uvicorn's 5 s to import the app;
        # the supervisor would kill and restart it forever.
        timeout_worker_healthcheck=60,
        http="app.http.slow_clients:ClientTimeoutsProtocol",  # header timeout (slowloris)
    )


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="analyst: posts progress; admin: also manages.")],
) -> None:
    """Add a user."""
    from app.auth.service import create_user

    with get_write_sessionmaker()() as session:
        try:
            user = create_user(session, name, role)
        except DomainError as exc:
            raise fail(exc.detail) from exc
    typer.echo(f"User {user.name} ({user.role}) added.")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="The user the token acts for.")],
    expires_days: Annotated[int | None, typer.Option(min=1, help="Valid this many days.")] = None,
) -> None:
    """Issue a token. It is shown once, alone on the last line; only its hash is kept."""
    from datetime import timedelta

    from app.auth.service import get_user, issue_token

    with get_write_sessionmaker()() as session:
        try:
            user = get_user(session, name)
        except DomainError as exc:
            raise fail(exc.detail) from exc
        issued = issue_token(session, user, expires_in=timedelta(days=expires_days)
                             if expires_days else None)
    expiry = issued.record.expires_at.isoformat() if issued.record.expires_at else "never"
    typer.echo(f"Token {issued.record.id} for {user.name} ({user.role}), prefix "
               f"{issued.record.prefix}, expires {expiry}. Store it now: it is not shown again.")
    typer.echo(issued.token)


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token: id, prefix (its first 8 characters), user, state. Never the token."""
    from app.auth.service import list_tokens
    from app.models import utcnow

    now = utcnow()
    with get_sessionmaker()() as session:
        for token in list_tokens(session):
            if token.revoked_at:
                state = f"revoked {token.revoked_at.date().isoformat()}"
            elif token.expires_at and token.expires_at <= now:
                state = f"expired {token.expires_at.date().isoformat()}"
            else:
                state = (f"expires {token.expires_at.date().isoformat()}" if token.expires_at
                         else "active")
            typer.echo(f"{token.id}\t{token.prefix}\t{token.user.name}\t{token.user.role}"
                       f"\t{state}")


@tokens_app.command("revoke")
def tokens_revoke(id_or_prefix: Annotated[str, typer.Argument(metavar="ID_OR_PREFIX")]) -> None:
    """Revoke a token at once, by id or prefix."""
    from app.auth.service import revoke_token

    with get_write_sessionmaker()() as session:
        try:
            token = revoke_token(session, id_or_prefix)
        except DomainError as exc:
            raise fail(exc.detail) from exc
    typer.echo(f"Token {token.id} ({token.prefix}) revoked.")


@app.command("import")
def import_updates(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         metavar="FILE.csv")],
    author: Annotated[str, typer.Option("--as", help="The analyst or admin the rows are "
                                                      "recorded for.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; store "
                                                            "nothing.")] = False,
) -> None:
    """Load progress updates from CSV or XLSX (columns: candidate, indicator or benchmark,
    value, as_of, source, note, supersedes, vintage, published_on, observation_status,
    assessed_by; the
    template is at /api/v1/imports/template.xlsx). Every row is validated as the API does; one
    bad row and nothing is stored, and every bad line is listed with the value it holds."""
    from rich.progress import track

    from app.auth.service import get_user
    from app.imports.service import ImportRefused, import_progress_updates

    with get_write_sessionmaker()() as session:
        try:
            user = get_user(session, author)
        except DomainError as exc:
            raise fail(exc.detail) from exc
        if user.role not in (Role.analyst, Role.admin):
            raise fail(f"{author} may not record progress.")
        try:
            stored = import_progress_updates(
                session, file, author=user, dry_run=dry_run,
                progress=lambda rows: track(rows, description="Validating", transient=True),
            )
        except ImportRefused as exc:
            for error in exc.errors:
                typer.echo(str(error), err=True)
            listed = (f" (the first {len(exc.errors)} listed)"
                      if exc.error_count > len(exc.errors) else "")
            raise fail(f"{exc.error_count} problem(s) found{listed}; nothing was "
                       "stored.") from exc
    if dry_run:
        typer.echo(f"Dry run: {stored} rows checked, all valid; nothing was stored.")
    else:
        typer.echo(f"{stored} progress updates stored from {file}.")


@app.command()
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         metavar="FILE.(csv|xlsx)")],
    url: Annotated[str, typer.Option(help="The server's address, e.g. "
                                          "https://tracker.example.org.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row on the server; "
                                                            "store nothing.")] = False,
) -> None:
    """Send a CSV or XLSX file of progress updates to a server (POST /api/v1/imports), with
    the API token in the environment variable ACCESSION_TOKEN (never an option: it would land
    in your shell history). All rows are stored or none; the server's reasons for refusing
    rows are printed as a table. Exit status: 0 stored (or, with --dry-run, all rows valid),
    1 refused, 2 the server could not be reached."""
    from app.imports.client import UploadFailed, upload_file

    token = os.environ.get("ACCESSION_TOKEN", "").strip()
    if not token:
        raise fail("Set ACCESSION_TOKEN to your API token (`accession tokens create` on the "
                   "server); it is never taken as an option, which would land in your shell "
                   "history.")
    try:
        message = upload_file(file, url, token, dry_run=dry_run)
    except UploadFailed as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(exc.exit_code) from exc
    typer.echo(message)


@app.command("record-status-changes")
def record_status_changes() -> None:
    """Record the status changes the passing of time made (a due date passed, a grace period
    ended, a target version came into force) as events: what the server does each night. Safe
    to run again: it records only what is not recorded yet."""
    from app.evaluation import today
    from app.status_feed import record_time_status_changes

    with get_write_sessionmaker()() as session:
        recorded = record_time_status_changes(session, today())
    typer.echo(f"{recorded} status change{'' if recorded == 1 else 's'} recorded.")


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="Where to write the copy.")]) -> None:
    """Copy the live SQLite database to PATH while writes continue (SQLite online backup)."""
    from app.backup import BackupError, backup_database

    try:
        target = backup_database(get_settings().database_url, path)
    except BackupError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Backed up to {target}.")


@app.command()
def restore(path: Annotated[Path, typer.Argument(help="A backup made by `accession backup`.")]
            ) -> None:
    """Replace the SQLite database with a backup. Stop the server first."""
    from app.backup import BackupError, restore_database

    try:
        live = restore_database(get_settings().database_url, path)
    except BackupError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Restored {path} into {live}.")
