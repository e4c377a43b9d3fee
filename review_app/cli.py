"""The command line, `review-app ...` (contract in ARCHITECTURE.md); one unit of work a command."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from review_app.config import Settings
from review_app.db import make_engine, migrate, session_scope
from review_app.errors import ReviewAppError, ValidationError
from review_app.services import demo as demo_service
from review_app.services.permissions import ROLE_RANK, Actor
from review_app.services.reviews import add_member, create_review, resolve_review_id
from review_app.services.users import create_user, get_user_by_name

app = typer.Typer(
    help="review-app: a systematic-review workflow manager.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")

UI_ENTRY = Path(__file__).resolve().parent / "ui" / "app.py"


@dataclass
class CliState:
    settings: Settings
    review_id: int | None

    def engine(self) -> Engine:
        engine = make_engine(self.settings.database_url)
        migrate(engine)
        return engine


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            help="Database URL (default $REVIEW_APP_DATABASE_URL, else sqlite:///review.db)."
        ),
    ] = None,
    review: Annotated[
        int | None, typer.Option(help="Review id (optional when the database holds one review).")
    ] = None,
) -> None:
    ctx.obj = CliState(settings=Settings.from_env(database_url=db), review_id=review)


@app.command()
def init(
    ctx: typer.Context,
    protocol: Annotated[
        Path | None, typer.Option(help="Protocol TOML to create a review from.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Review name (default: the protocol file's name).")
    ] = None,
) -> None:
    """Create or upgrade the schema; with --protocol, create a review."""
    state: CliState = ctx.obj
    engine = state.engine()
    typer.echo(f"Schema is up to date on {engine.url.render_as_string(hide_password=True)}.")
    if protocol is None:
        return
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=protocol, name=name)
    typer.echo(f"Created review {review.id}: {review.name} ({review.title}).")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="reviewer | lead | admin (in the review).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user with a role in the review (an existing user just gets the role)."""
    if role not in ROLE_RANK:
        raise ValidationError(f"--role {role!r}: allowed are {', '.join(ROLE_RANK)}")
    state: CliState = ctx.obj
    with session_scope(state.engine()) as session:
        review_id = resolve_review_id(session, state.review_id)
        try:
            user = get_user_by_name(session, name)
            created = False
        except ReviewAppError:
            user = create_user(session, name=name, password=_read_password(password_stdin))
            created = True
        add_member(session, actor=Actor.operator(), review_id=review_id, user_id=user.id, role=role)
    verb = "Added user" if created else "User exists; set role for"
    typer.echo(f"{verb} {name!r} as {role} in review {review_id}.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationError("no terminal to ask for a password; pipe it in with --password-stdin")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
) -> None:
    """Run the web app on the configured database."""
    state: CliState = ctx.obj
    state.engine().dispose()  # migrate before the first page loads
    _run_streamlit(state.settings, host=host, port=port)


@app.command()
def demo(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Create (or reuse) demo.db with the kratom review and demo accounts, then serve it."""
    state: CliState = ctx.obj
    if ctx.find_root().params.get("db") is None:
        state.settings = Settings.from_env(database_url="sqlite:///demo.db")
    with session_scope(state.engine()) as session:
        review = demo_service.seed_demo(session)
    typer.echo(f"Demo review {review.id}: {review.title}")
    typer.echo("Demo accounts (name / password / role):")
    for account in demo_service.DEMO_ACCOUNTS:
        typer.echo(f"  {account.name} / {account.password} / {account.role}")
    _run_streamlit(state.settings, host=host, port=port)


def _run_streamlit(settings: Settings, *, host: str, port: int) -> None:
    typer.echo(f"Serving on http://{host}:{port} (Ctrl+C stops it).")
    command = [
        sys.executable, "-m", "streamlit", "run", str(UI_ENTRY),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--server.maxUploadSize", str(settings.max_upload_mb), "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    try:
        raise typer.Exit(subprocess.call(command, env=settings.child_environment()))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def main() -> None:
    """Entry point: ReviewAppError becomes a one-line message and exit code 1, no traceback."""
    try:
        app()  # standalone: usage errors print their message and exit 2
    except ReviewAppError as error:
        typer.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
