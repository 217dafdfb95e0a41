"""The `accession` command: serve the site, migrate the database, load demo data."""

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from alembic import command
from alembic.config import Config

from app.config import get_settings
from app.db import get_engine, get_sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent

app = typer.Typer(help="Accession Tracker: aspirant states against accession benchmarks.",
                  no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def upgrade_database(revision: str = "head") -> None:
    with get_engine().begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade_database(revision)
    typer.echo(f"Database at {revision}: {get_settings().database_url}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    with get_engine().begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (ACCESSION_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ACCESSION_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the site and the API with uvicorn."""
    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        reload=reload,
        log_level=settings.log_level,
        proxy_headers=True,
    )
