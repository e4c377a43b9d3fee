"""The command line, `review-app ...` (contract in ARCHITECTURE.md); one unit of work a command.

Start-up is kept light (`review-app --help` answers in well under a second): this module imports
only typer and the settings at the top; each command imports the services it uses, which bring
the database layer and, where they need them, the heavy libraries (scikit-learn, matplotlib).
`tests/test_cli.py` checks that importing this module loads none of those.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from review_app.config import Settings, setting
from review_app.domain.vocabulary import ROLES, EffectMeasure, PoolingMethod, PredictionRule
from review_app.errors import NotFoundError, ProblemsError, ReviewAppError, ValidationError
from review_app.importers import FORMATS
from review_app.services.exports.registry import EXPORTS, Export, output_help

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session
    from typer._click.core import Context as ClickContext  # the click typer bundles

    from review_app.domain.grade.model import SofTable
    from review_app.domain.meta.further import SubgroupResult
    from review_app.domain.meta.model import Analysis as MetaAnalysis
    from review_app.domain.meta.plots import ForestLabels
    from review_app.services.analyses import AnalysisSpec
    from review_app.services.analysis_summary import StudyInput
    from review_app.services.deduplication import DedupSummary


class DefaultCommandGroup(TyperGroup):
    """A command group whose first word may be left out: ``review-app import FILE...`` is
    ``review-app import records FILE...``. Arguments that do not start with one of the group's
    command names (nor ``--help``) go to its ``default_command``, options and all; a file that
    happens to be named like a command is reached as ``./NAME``."""

    default_command = "records"

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    help="review-app: a systematic-review workflow manager.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
export_app = typer.Typer(help="Write records and reports to files.", no_args_is_help=True)
# `review-app import NAME PATH` for each kind of file a review takes in; search results are the
# default (`review-app import FILE... --source NAME`, as the contract has it).
import_app = typer.Typer(
    cls=DefaultCommandGroup,
    help=(
        "Import search results (`review-app import FILE... --source NAME`, the same as "
        "`import records`), or work done in another tool."
    ),
    no_args_is_help=True,
)
rob_app = typer.Typer(help="Risk of bias: judge answers, draw plots.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(rob_app, name="rob")

UI_ENTRY = Path(__file__).resolve().parent / "ui" / "app.py"
DEMO_DATABASE = "demo.db"  # `review-app demo` without --db: this file in the working folder
_DATABASE_URL = setting("database_url")
# The tool registry is not imported at start-up (it costs time); a wrong id lists every tool.
TOOL_HELP = "a risk-of-bias tool's id, e.g. rob2 or robins-i-v2 (a wrong id lists them all)"
HOW_TO_CREATE = "create one with `review-app init --protocol PATH.toml`, or try `review-app demo`"


@dataclass
class CliState:
    settings: Settings
    review_id: int | None

    def engine(self, *, create: bool = False) -> Engine:
        """The database's engine, its schema migrated. A SQLite file that does not exist is
        created only with ``create`` (init, demo, restore); otherwise the command is refused
        in words, and no empty file is left behind."""
        from review_app.db import make_engine, migrate, sqlite_file

        settings = self.settings
        missing = sqlite_file(settings.database_url)
        if not create and missing is not None and not missing.exists():
            raise NotFoundError(_no_database(settings.database_url, missing))
        engine = make_engine(
            settings.database_url,
            pool_size=settings.pool_size,
            max_overflow=settings.pool_overflow,
            pool_timeout=settings.pool_timeout_seconds,
        )
        migrate(engine)
        return engine

    @contextmanager
    def review_scope(self) -> Iterator[tuple[Session, int]]:
        """One unit of work on the review the command acts on: ``(session, review_id)``."""
        from review_app.db import session_scope

        with session_scope(self.engine()) as session:
            yield session, _review_id(session, self)


def _no_database(url: str, path: Path) -> str:
    demo = Path(DEMO_DATABASE).resolve()
    hint = (
        f"; the demo's database is here: --db sqlite:///{demo}"
        if demo.exists() and demo != path
        else ""
    )
    return f"{url}: no database file {path}; {HOW_TO_CREATE}{hint}"


def _review_id(session: Session, state: CliState) -> int:
    """The review to act on (``--review``, or the only one); a database without any says so,
    naming itself and how to create one."""
    from review_app.services.reviews import list_reviews, resolve_review_id

    if state.review_id is None and not list_reviews(session):
        raise NotFoundError(
            f"{_shown_url(state.settings.database_url)} holds no review yet; {HOW_TO_CREATE}"
        )
    return resolve_review_id(session, state.review_id)


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            help=f"Database URL (default ${_DATABASE_URL.name}, else {_DATABASE_URL.default})."
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
    from review_app.db import session_scope
    from review_app.services.reviews import create_review

    state: CliState = ctx.obj
    engine = state.engine(create=True)
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
    role: Annotated[str, typer.Option(help=f"{' | '.join(ROLES)} (in the review).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user with a role in the review (an existing user just gets the role)."""
    from review_app.services.permissions import Actor
    from review_app.services.reviews import add_member
    from review_app.services.users import create_user, get_user_by_name

    if role not in ROLES:
        raise ValidationError(f"--role {role!r}: allowed are {', '.join(ROLES)}")
    state: CliState = ctx.obj
    with state.review_scope() as (session, review_id):
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


@import_app.command("records")
def import_records(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Export files (RIS, MEDLINE, BibTeX, EndNote XML, CSV/TSV/XLSX, WoS)."),
    ],
    source: Annotated[
        str, typer.Option(help="The database or register searched, e.g. PubMed, Embase.")
    ],
    format: Annotated[str, typer.Option(help="auto | " + " | ".join(FORMATS))] = "auto",
    source_kind: Annotated[
        str, typer.Option(help="database | register | website | organisation | citation | other")
    ] = "database",
    date_searched: Annotated[
        str | None, typer.Option(help="Date of the search, YYYY-MM-DD.")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid records and report the others.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Import a file again even if it was imported before.")
    ] = False,
) -> None:
    """Import search results; all files go in together or none does."""
    from review_app.services.deduplication import run_automatic_pass
    from review_app.services.imports import import_file, import_limits
    from review_app.services.permissions import Actor

    state: CliState = ctx.obj
    searched = _parse_date(date_searched, "--date-searched")
    limits = import_limits(state.settings)
    with state.review_scope() as (session, review_id):
        summaries = [
            import_file(
                session,
                actor=Actor.operator(),
                review_id=review_id,
                data=_read_file(path),
                file_name=path.name,
                source_name=source,
                source_kind=source_kind,
                format=format,
                date_searched=searched,
                skip_invalid=skip_invalid,
                force=force,
                limits=limits,
            )
            for path in files
        ]
        dedup = run_automatic_pass(session, actor=Actor.operator(), review_id=review_id)
    for summary in summaries:
        typer.echo(
            f"{summary.file_name}: imported {summary.imported} records from "
            f"{summary.source_name} ({summary.format}) as batch {summary.batch_id}"
        )
        for warning in summary.warnings:
            typer.echo(f"  warning: {warning}")
        if summary.problems:
            typer.echo(f"  skipped {summary.skipped} invalid records:")
            for problem in summary.problems:
                typer.echo(f"    - {problem}")
    _echo_dedup(dedup)


@import_app.command("decisions")
def import_decisions(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH.csv|.xlsx",
            help="One row per vote: record, reviewer, stage, vote[, reason, note, kind].",
        ),
    ],
) -> None:
    """Votes and lead resolutions made in another tool, cast as the people named (all or none)."""
    from review_app.services.decision_import import import_decisions as import_file
    from review_app.services.imports import import_limits
    from review_app.services.permissions import Actor

    state: CliState = ctx.obj
    data = _read_file(path)
    with state.review_scope() as (session, review_id):
        summary = import_file(
            session,
            actor=Actor.operator(),
            review_id=review_id,
            data=data,
            file_name=path.name,
            limits=import_limits(state.settings),
        )
    for line in summary.describe():
        typer.echo(line)


@import_app.command("extraction")
def import_extraction(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH.csv|.xlsx",
            help="The layout of `export extraction` (README: Extraction files).",
        ),
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="The lead who imports (the copies are audited as theirs).")
    ],
) -> None:
    """Studies' extraction from a file, replacing the copies it names (all or none)."""
    from review_app.services.extraction_import import import_extraction as import_file
    from review_app.services.imports import import_limits
    from review_app.services.permissions import Actor
    from review_app.services.users import get_user_by_name

    state: CliState = ctx.obj
    data = _read_file(path)
    with state.review_scope() as (session, review_id):
        user = get_user_by_name(session, as_user)
        summary = import_file(
            session,
            actor=Actor.user(user.id),
            review_id=review_id,
            data=data,
            file_name=path.name,
            limits=import_limits(state.settings),
        )
    typer.echo(f"{summary.describe()}.")


@import_app.command("rob")
def import_rob(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH.csv|.xlsx",
            help="The layout of `export rob`, or robvis's (README: Risk of bias files).",
        ),
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="The lead who imports (the copies are audited as theirs).")
    ],
    outcome: Annotated[
        str | None,
        typer.Option(help="The outcome of a file in robvis's layout (a protocol outcome's id)."),
    ] = None,
) -> None:
    """Risk-of-bias assessments from a file, replacing the copies it names (all or none)."""
    from review_app.services.appraisal_import import import_rob as import_file
    from review_app.services.imports import import_limits
    from review_app.services.permissions import Actor
    from review_app.services.users import get_user_by_name

    state: CliState = ctx.obj
    data = _read_file(path)
    with state.review_scope() as (session, review_id):
        user = get_user_by_name(session, as_user)
        summary = import_file(
            session,
            actor=Actor.user(user.id),
            review_id=review_id,
            data=data,
            file_name=path.name,
            outcome=outcome,
            limits=import_limits(state.settings),
        )
    typer.echo(f"{summary.describe()}.")


@rob_app.command("plot")
def rob_plot(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="PATH.svg, .png or .pdf")],
    type: Annotated[str, typer.Option(help="traffic-light | summary")] = "traffic-light",
    outcome: Annotated[
        str | None, typer.Option(help="A protocol outcome's id (default: the first).")
    ] = None,
    tool: Annotated[
        str | None, typer.Option(help=f"{TOOL_HELP}, when the outcome is assessed with several")
    ] = None,
) -> None:
    """An outcome's consensus risk of bias as robvis's traffic-light or summary plot."""
    from review_app.services.permissions import Actor

    def make(session: Session, review_id: int) -> bytes:
        [plot] = EXPORTS["rob-plot"].make(
            session,
            actor=Actor.operator(),
            review_id=review_id,
            format=_suffix(output),
            type=type,
            outcome=outcome,
            tool=tool,
        )
        return plot.data

    _export(ctx, output, make)


@rob_app.command("judge")
def rob_judge(
    ctx: typer.Context,
    answers: Annotated[
        Path,
        typer.Argument(
            metavar="ANSWERS.csv|.xlsx",
            help="study, optional outcome and variant, then one column per question (1.1, ...).",
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="OUT.csv to write.")],
    tool: Annotated[str, typer.Option(help=TOOL_HELP)],
) -> None:
    """Apply a tool's algorithms to a table of answers: the same table with D1... and Overall
    added; problems are listed with row and column, and nothing is written."""
    from review_app.domain.appraisal.judge import judge, output_columns
    from review_app.domain.appraisal.tools import tool_by_id
    from review_app.exporters.tabular import table_csv
    from review_app.importers.tabular import read_table
    from review_app.services.imports import import_limits

    state: CliState = ctx.obj
    if _suffix(output) != "csv":
        raise ValidationError(f"{output}: rob judge writes a .csv file")
    chosen = tool_by_id(tool)
    read = read_table(
        _read_file(answers), source=answers.name, limits=import_limits(state.settings)
    )
    rows = [dict(zip(read.columns, cells, strict=False)) for _, cells in read.rows]
    lines = [read.header_line, *(number for number, _ in read.rows)]
    try:
        judged = judge(chosen, read.columns, rows, source=answers.name)
    except ProblemsError as error:
        raise _at_file_rows(error, lines) from None
    columns = output_columns(chosen, read.columns)
    _write_file(
        output,
        table_csv(columns, ([row.get(c, "") for c in columns] for row in judged), excel=False),
    )
    typer.echo(f"Wrote {output} ({len(judged)} rows judged with {chosen.name}).")


def _at_file_rows(error: ProblemsError, lines: list[int]) -> ProblemsError:
    """``error``'s problems with the rows numbered as in the file (judge counts the header as
    line 1 and each row after it; a file may have blank or multi-line rows between them)."""
    problems = [
        replace(problem, line=lines[problem.line - 1])
        if problem.line is not None and problem.line <= len(lines)
        else problem
        for problem in error.problems
    ]
    return ProblemsError(problems, summary=str(error).splitlines()[0])


@app.command()
def dedupe(ctx: typer.Context) -> None:
    """Automatic deduplication pass over records no pass has checked; prints merged / queued."""
    from review_app.services.deduplication import run_automatic_pass
    from review_app.services.permissions import Actor

    state: CliState = ctx.obj
    with state.review_scope() as (session, review_id):
        summary = run_automatic_pass(session, actor=Actor.operator(), review_id=review_id)
    _echo_dedup(summary)


def _echo_dedup(summary: DedupSummary) -> None:
    typer.echo(
        f"Deduplication: compared {summary.compared_records} new records; merged "
        f"{summary.merged_records} duplicates into {summary.merged_clusters} clusters; "
        f"queued {summary.queued_pairs} uncertain pairs for review."
    )


def _export_command(export: Export) -> Callable[..., None]:
    """The `review-app export NAME` command of a registry entry: -o PATH, --format when the
    entry takes it, and the entry's options; the format comes from the file's suffix."""

    def command(ctx: typer.Context, output: Path, **values: Any) -> None:
        from review_app.services.permissions import Actor

        state: CliState = ctx.obj
        chosen = values.pop("format", None) or _suffix(output)
        if export.any_suffix:
            chosen = export.formats[0]
        elif len(export.formats) == 1 and chosen not in export.formats:
            raise ValidationError(
                f"{output}: the {export.name} export is a .{export.formats[0]} file"
            )
        with state.review_scope() as (session, review_id):
            files = export.make(
                session, actor=Actor.operator(), review_id=review_id, format=chosen, **values
            )
        paths = [
            output.with_name(f"{output.stem}{file.suffix}.{chosen}") if file.suffix else output
            for file in files
        ]
        for path, file in zip(paths, files, strict=True):
            _write_file(path, file.data)
        note = export.note(chosen, values)
        written = " and ".join(str(path) for path in paths)
        typer.echo(f"Wrote {written}{f' ({note})' if note else ''}.")

    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter(
            "output",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[
                Path, typer.Option("-o", "--output", help=f"{output_help(export)}.")
            ],
        ),
    ]
    if export.format_option:
        formats = " | ".join(export.formats)
        parameters.append(
            inspect.Parameter(
                "format",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=None,
                annotation=Annotated[
                    str | None, typer.Option(help=f"{formats} (default: from the suffix).")
                ],
            )
        )
    for option in export.options:
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=option.default,
                annotation=Annotated[str, typer.Option(help=option.usage)],
            )
        )
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__name__ = f"export_{export.name}_command"
    return command


for _entry in EXPORTS.values():
    if _entry.words == ("export", _entry.name):
        export_app.command(_entry.name, help=_entry.description)(_export_command(_entry))


@app.command()
def prisma(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="PATH.svg, .png, .pdf or .csv")],
) -> None:
    """The PRISMA 2020 flow diagram computed from the decisions (format from the suffix)."""
    from review_app.domain.prisma.wording import provisional_note
    from review_app.services.permissions import Actor
    from review_app.services.prisma import prisma_counts

    notes: list[str] = []

    def make(session: Session, review_id: int) -> bytes:
        counts = prisma_counts(session, actor=Actor.operator(), review_id=review_id)
        notes.extend(filter(None, [provisional_note(counts)]))
        [diagram] = EXPORTS["prisma"].make(
            session, actor=Actor.operator(), review_id=review_id, format=_suffix(output)
        )
        return diagram.data

    _export(ctx, output, make)
    for note in notes:
        typer.echo(f"{note}.", err=True)


@app.command()
def sof(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help=f"{output_help(EXPORTS['sof'])}.")],
    profile: Annotated[
        bool, typer.Option("--profile", help="The evidence profile instead of the table.")
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Export as this member: a lead gets the current table, others the published "
            "one (default: the command line, as a lead).",
        ),
    ] = None,
) -> None:
    """The GRADE Summary-of-Findings table (or evidence profile), format from the suffix."""
    from review_app.services.exports.sof import table_for, write_table
    from review_app.services.permissions import Actor
    from review_app.services.users import get_user_by_name

    export = EXPORTS["sof"]
    chosen = _suffix(output)
    if chosen not in export.formats:
        raise ValidationError(f"{output}: the sof export writes {output_help(export)}")
    state: CliState = ctx.obj
    with state.review_scope() as (session, review_id):
        actor = (
            Actor.operator()
            if as_user is None
            else Actor.user(get_user_by_name(session, as_user).id)
        )
        table = table_for(session, actor=actor, review_id=review_id)
    _write_file(output, write_table(table, chosen, profile=profile))
    typer.echo(f"Wrote {output} ({_sof_note(table, profile=profile)}).")


def _sof_note(table: SofTable, *, profile: bool) -> str:
    """What the file holds: "Summary of findings, 5 outcomes, published 2026-12-04"."""
    kind = "evidence profile" if profile else "Summary of findings"
    pending = sum(row.grade.pending for row in table.rows)
    parts = [kind, f"{len(table.rows)} outcome{'s' if len(table.rows) != 1 else ''}"]
    if pending:
        parts.append(f"{pending} not yet rated")
    if table.published_at:
        parts.append(f"published {table.published_at[:10]}")
    else:
        parts.append("draft, not published")
    return ", ".join(parts)


@app.command()
def backup(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The backup file to write (.zip).")
    ],
) -> None:
    """A full backup of the review (rows, accounts and full-text PDFs) in one file."""
    from review_app.services.backup import backup_review
    from review_app.services.permissions import Actor

    state: CliState = ctx.obj
    with state.review_scope() as (session, review_id):
        data = backup_review(
            session, actor=Actor.operator(), review_id=review_id, files_dir=state.settings.files_dir
        )
    _write_file(output, data)
    typer.echo(f"Wrote {output}.")


@app.command()
def restore(
    ctx: typer.Context,
    backup_file: Annotated[Path, typer.Argument(help="A file written by review-app backup.")],
) -> None:
    """Restore a backup into an empty database (SQLite or PostgreSQL)."""
    from review_app.db import session_scope
    from review_app.services.backup import restore_review

    state: CliState = ctx.obj
    data = _read_file(backup_file)  # before the database is created, so a typo creates nothing
    with session_scope(state.engine(create=True)) as session:
        review_id = restore_review(session, data=data, files_dir=state.settings.files_dir)
    typer.echo(f"Restored review {review_id} from {backup_file}.")


def _export(ctx: typer.Context, output: Path, make: Callable[[Session, int], bytes]) -> None:
    """Resolve the review, build the file in one unit of work, then write it."""
    state: CliState = ctx.obj
    with state.review_scope() as (session, review_id):
        data = make(session, review_id)
    _write_file(output, data)
    typer.echo(f"Wrote {output}.")


def _suffix(path: Path) -> str:
    return path.suffix.lstrip(".").lower()


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"{path}: cannot read the file ({exc.strerror})") from exc


def _write_file(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise ValidationError(f"{path}: cannot write the file ({exc.strerror})") from exc


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{option} {text!r}: a date as YYYY-MM-DD") from None


@app.command()
def simulate(
    dataset: Annotated[
        Path, typer.Argument(help="CSV with title, abstract, label_included (1/0).")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="RESULT.json to write.")],
    seed: Annotated[int, typer.Option(help="Seed for the priors (one include, one exclude).")] = 0,
) -> None:
    """Active-learning simulation: the order our model would have screened a labelled set in,
    and where the stopping aid would first have said "you may stop" (stopping, in the JSON)."""
    import json

    from review_app.domain.prioritisation import simulate as run_simulation
    from review_app.importers.labelled import read_labelled_csv

    labelled = read_labelled_csv(_read_file(dataset), filename=dataset.name)
    result = run_simulation(
        labelled.titles, labelled.abstracts, labelled.labels, seed=seed, keywords=labelled.keywords
    )
    _write_file(output, json.dumps(result.to_dict(), indent=1).encode("utf-8"))
    stop = result.stopping
    typer.echo(
        f"{result.n_records} records, {result.n_included} included: WSS@95 "
        f"{result.wss_at_95:.3f}, recall at 10 % {result.recall_at_10pct:.3f}; the stopping aid "
        f"(target recall {stop.target_recall:.0%}) would have said stop after "
        f"{stop.stop_after} records, at recall {stop.recall_at_stop:.3f}; wrote {output}."
    )


_MEASURES = " | ".join(m.value for m in EffectMeasure)
_METHODS = " | ".join(m.value for m in PoolingMethod)
_PREDICTIONS = " | ".join(r.value for r in PredictionRule)
INDIRECT_MARK = " †"  # meta-analyse's table: a study of indirect evidence


@app.command("meta-analyse")
def meta_analyse(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Argument(
            metavar="DATA.csv|.xlsx",
            help="One study a row: study,events_t,n_t,events_c,n_c | study,n_t,mean_t,sd_t,"
            "n_c,mean_c,sd_c | study,yi,vi | study,estimate,ci_lower,ci_upper (or se). "
            "Leave out with --outcome.",
        ),
    ] = None,
    measure: Annotated[
        str | None, typer.Option(help=f"{_MEASURES} (with --outcome: the protocol's default).")
    ] = None,
    method: Annotated[
        str | None, typer.Option(help=f"{_METHODS} (default REML; --outcome: the protocol's).")
    ] = None,
    hksj: Annotated[
        bool | None,
        typer.Option("--hksj/--no-hksj", help="Hartung-Knapp-Sidik-Jonkman CI and test."),
    ] = None,
    prediction: Annotated[
        str | None, typer.Option(help=f"Prediction interval: {_PREDICTIONS} (t, k-2 df).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Write the forest plot: PATH.svg, .png or .pdf.")
    ] = None,
    subgroup: Annotated[
        str | None,
        typer.Option(help="A column of the file (--outcome: a study characteristic's id)."),
    ] = None,
    per_study: Annotated[
        bool, typer.Option("--per-study", help="Each study's yi, vi, weight and conversions.")
    ] = False,
    outcome: Annotated[
        str | None, typer.Option(help="Pool the review's consensus data of this outcome.")
    ] = None,
    timepoint: Annotated[
        str | None, typer.Option(help="With --outcome: the time point (default: each study's).")
    ] = None,
    include_indirect: Annotated[
        bool,
        typer.Option(
            "--include-indirect", help="With --outcome: pool studies of indirect evidence too."
        ),
    ] = False,
) -> None:
    """Meta-analysis of a file of studies, or of the review's consensus extraction (--outcome):
    pooled estimate, heterogeneity, prediction interval, as R metafor 3.8-1 computes them.
    A bad file or option is a ReviewAppError: one sentence per problem, exit code 1 (main)."""
    state: CliState = ctx.obj
    options = _MetaOptions(measure, method, hksj, prediction, subgroup, include_indirect)
    if data is not None and outcome is None:
        report = _meta_from_file(state, data, options)
    elif outcome is not None and data is None:
        report = _meta_from_review(state, outcome, timepoint, options)
    else:
        raise ValidationError("give a DATA file, or --outcome ID for the review's data")
    _echo_meta(report, json_output=json_output, per_study=per_study)
    if plot is not None:
        _write_file(plot, _forest(report, _suffix(plot)))
        typer.echo(f"Wrote {plot}.", err=json_output)


@dataclass(frozen=True)
class _MetaOptions:
    """The analysis options as typed (None: not given)."""

    measure: str | None
    method: str | None
    hksj: bool | None
    prediction: str | None
    subgroup: str | None
    include_indirect: bool = False  # the review's data only (a file has no such flag)

    def spec(self, default: AnalysisSpec) -> AnalysisSpec:
        """``default`` with the options given applied (each checked against its vocabulary)."""
        from review_app.domain.meta.model import Test

        changes: dict[str, Any] = {}
        if self.measure is not None:
            changes["measure"] = _choice("--measure", self.measure.upper(), EffectMeasure)
        if self.method is not None:
            changes["method"] = _choice("--method", self.method.upper(), PoolingMethod)
        if self.hksj is not None:
            changes["test"] = Test.KNHA if self.hksj else Test.Z
        if self.prediction is not None:
            changes["prediction"] = _choice("--prediction", self.prediction, PredictionRule)
        if self.subgroup is not None:
            changes["subgroup"] = self.subgroup
        if self.include_indirect:
            changes["include_indirect"] = True
        return replace(default, **changes)


def _choice(
    option: str, value: str, allowed: type[EffectMeasure | PoolingMethod | PredictionRule]
) -> Any:
    try:
        return allowed(value)
    except ValueError:
        names = " | ".join(v.value for v in allowed)
        raise ValidationError(f"{option} {value!r}: allowed are {names}") from None


@dataclass(frozen=True)
class _MetaReport:
    """What meta-analyse prints and draws: the analysis, its studies' rows and subgroups."""

    analysis: MetaAnalysis
    rows: Mapping[str, StudyInput]  # study -> its row of the file or of the review
    subgroups: SubgroupResult | None
    left_out: list[tuple[str, str]]  # (study, reason) of the review's studies not pooled
    incomplete: tuple[str, ...] = ()
    labels: ForestLabels | None = None  # the review's words for the forest plot
    indirect: tuple[str, ...] = ()  # the review's studies pooled that are indirect evidence


def _meta_from_file(state: CliState, path: Path, options: _MetaOptions) -> _MetaReport:
    from review_app.domain.meta.further import AnalysisChoices, subgroups
    from review_app.domain.meta.model import Test
    from review_app.domain.meta.pooling import analyse
    from review_app.importers.meta_csv import read_meta_file
    from review_app.services.analyses import AnalysisSpec
    from review_app.services.imports import import_limits

    if options.measure is None:
        raise ValidationError(f"--measure is needed with a file: {_MEASURES}")
    if options.include_indirect:
        raise ValidationError(
            "--include-indirect is for --outcome: a file's studies carry no indirect-evidence flag"
        )
    spec = options.spec(AnalysisSpec("", EffectMeasure.RR, test=Test.Z))
    read = read_meta_file(
        _read_file(path),
        source=path.name,
        measure=spec.measure,
        subgroup=options.subgroup,
        limits=import_limits(state.settings),
    )
    analysis = analyse(
        read.data, spec.measure, method=spec.method, test=spec.test, prediction=spec.prediction
    )
    choices = AnalysisChoices(
        spec.measure, method=spec.method, test=spec.test, prediction=spec.prediction
    )
    parts = subgroups(read.data, read.groups, choices) if options.subgroup else None
    return _MetaReport(analysis, {s.study: s for s in read.studies}, parts, [])


def _meta_from_review(
    state: CliState, outcome: str, timepoint: str | None, options: _MetaOptions
) -> _MetaReport:
    from review_app.services.analyses import default_spec, run_analysis
    from review_app.services.permissions import Actor

    with state.review_scope() as (session, review_id):
        default = default_spec(session, actor=Actor.operator(), review_id=review_id,
                               outcome_id=outcome)  # fmt: skip
        spec = replace(options.spec(default), timepoint=timepoint)
        run = run_analysis(session, actor=Actor.operator(), review_id=review_id, spec=spec)
    left_out = [(left.study, left.reason) for left in run.data.left_out]
    rows = {row.study: row for row in run.data.rows}
    incomplete = run.data.incomplete
    indirect = tuple(row.study for row in run.data.rows if row.indirect)
    return _MetaReport(
        run.analysis, rows, run.subgroups, left_out, incomplete, run.labels, indirect
    )


def _echo_meta(report: _MetaReport, *, json_output: bool, per_study: bool) -> None:
    import json

    if json_output:
        typer.echo(json.dumps(_meta_json(report, per_study=per_study), indent=1))
        return
    for line in _meta_text(report, per_study=per_study):
        typer.echo(line)


def _meta_json(report: _MetaReport, *, per_study: bool) -> dict[str, Any]:
    """The contract's fields on the analysis scale (log for ratios), the back-transformed
    estimate and CI for ratios, what was left out and why; per study yi, vi, weight and the
    conversions; each subgroup and the test for subgroup differences (the fields of
    ``services.analysis_summary``, which saved analyses keep too)."""
    from review_app.services.analysis_summary import summary

    return summary(
        report.analysis,
        rows=report.rows,
        left_out=report.left_out,
        subgroups=report.subgroups,
        incomplete=report.incomplete,
        indirect=report.indirect,
        per_study=per_study,
    )


def _left_out(report: _MetaReport) -> list[tuple[str, str]]:
    """The review's studies not pooled, then those the engine dropped, with the reasons."""
    dropped = [(d.study, d.reason) for d in report.analysis.dropped]
    return [*report.left_out, *dropped]


def _meta_text(report: _MetaReport, *, per_study: bool) -> list[str]:
    """RevMan's analysis as text: each study's effect with its CI and weight, the total, the
    prediction interval, heterogeneity and the test for overall effect, the subgroups, then
    what was converted, left out or is not complete yet."""
    from review_app.domain.meta.plots import method_label

    analysis = report.analysis
    width = max([len("Prediction interval"), *(len(e.study) for e in analysis.effects)]) + 2
    lines = [f"{analysis.measure.label} ({method_label(analysis)})", ""]
    lines.append(f"{'Study':<{width}}{'Weight':>8}   {analysis.measure.value} [95% CI]")
    lines += _study_lines(report, width)
    lines += _total_lines(analysis, width)
    lines += _subgroup_lines(report)
    if any(row.converted for row in report.rows.values()):
        lines += ["", "* converted from what was reported (--per-study --json lists the formulas)"]
    if report.indirect:
        lines.append(f"{INDIRECT_MARK.strip()} indirect evidence (pooled with --include-indirect)")
    lines += [f"Left out: {study}: {reason}" for study, reason in _left_out(report)]
    if report.incomplete:
        lines.append(f"Consensus extraction not complete yet: {', '.join(report.incomplete)}")
    if per_study:
        lines += ["", "study\tyi\tvi\tweight"]
        for study in _meta_json(report, per_study=True)["studies"]:
            lines.append("\t".join(str(study[key]) for key in ("study", "yi", "vi", "weight")))
    return lines


def _study_lines(report: _MetaReport, width: int) -> list[str]:
    """A study a line: its weight and its effect with the 95 % CI (Wald, as RevMan shows)."""
    from statistics import NormalDist

    from review_app.domain.meta.plots import interval_text
    from review_app.domain.meta.plots.rows import study_weights

    analysis = report.analysis
    weights = study_weights(analysis)
    z = NormalDist().inv_cdf(0.975)
    lines = []
    for effect in analysis.effects:
        half = z * effect.se
        ratio = analysis.measure.is_ratio
        text = interval_text(effect.yi, effect.yi - half, effect.yi + half, is_ratio=ratio)
        weight = f"{weights[effect.study]:.1f}%" if effect.study in weights else ""
        row = report.rows.get(effect.study)
        mark = " *" if row is not None and row.converted else ""
        mark += INDIRECT_MARK if effect.study in report.indirect else ""
        lines.append(f"{effect.study:<{width}}{weight:>8}   {text}{mark}")
    return lines


def _total_lines(analysis: MetaAnalysis, width: int) -> list[str]:
    from review_app.domain.meta.plots import (
        heterogeneity_text,
        interval_text,
        method_notes,
        overall_effect_text,
    )

    pooled = analysis.pooled
    if pooled is None:
        return []
    ratio = analysis.measure.is_ratio
    total = interval_text(pooled.estimate, pooled.ci_low, pooled.ci_high, is_ratio=ratio)
    lines = [f"{f'Total ({pooled.level:.0%} CI)':<{width}}{'100.0%':>8}   {total}"]
    if pooled.pi_low is not None and pooled.pi_high is not None:
        interval = interval_text(pooled.estimate, pooled.pi_low, pooled.pi_high, is_ratio=ratio)
        lines.append(f"{'Prediction interval':<{width}}{'':>8}   {interval.split(' ', 1)[1]}")
    return [*lines, "", heterogeneity_text(pooled), overall_effect_text(pooled),
            *method_notes(pooled)]  # fmt: skip


def _subgroup_lines(report: _MetaReport) -> list[str]:
    from review_app.domain.meta.plots import (
        NOT_ESTIMABLE,
        interval_text,
        subgroup_difference_text,
    )

    if report.subgroups is None:
        return []
    lines = [""]
    ratio = report.analysis.measure.is_ratio
    for part in report.subgroups.subgroups:
        pooled = part.analysis.pooled
        shown = (
            NOT_ESTIMABLE
            if pooled is None
            else interval_text(pooled.estimate, pooled.ci_low, pooled.ci_high, is_ratio=ratio)
        )
        lines.append(f"Subgroup {part.name} (k = {pooled.k if pooled else 0}): {shown}")
    if report.subgroups.difference is not None:
        lines.append(subgroup_difference_text(report.subgroups.difference))
    return [*lines, *report.subgroups.notes]


def _forest(report: _MetaReport, fmt: str) -> bytes:
    from review_app.domain.meta.plots import forest_plot

    return forest_plot(
        report.analysis,
        fmt=fmt,  # type: ignore[arg-type]
        labels=report.labels,
        subgroups=report.subgroups,
    )


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
    from review_app.db import absolute_url, session_scope
    from review_app.services import demo as demo_service

    state: CliState = ctx.obj
    if ctx.find_root().params.get("db") is None:
        state.settings = Settings.from_env(database_url=f"sqlite:///{DEMO_DATABASE}")
    engine = state.engine(create=True)
    with session_scope(engine) as session:
        review = demo_service.seed_demo(session)
    engine.dispose()
    typer.echo(f"Demo review {review.id}: {review.title}")
    typer.echo("Demo accounts (name / password / role):")
    for account in demo_service.DEMO_ACCOUNTS:
        typer.echo(f"  {account.name} / {account.password} / {account.role}")
    url = absolute_url(state.settings.database_url)
    typer.echo("The command line reaches this database with --db, e.g.")
    typer.echo(f"  review-app --db {url} prisma -o prisma.svg")
    typer.echo(f"or for every command in this shell: export {_DATABASE_URL.name}={url}")
    _run_streamlit(state.settings, host=host, port=port)


def _run_streamlit(settings: Settings, *, host: str, port: int) -> NoReturn:
    """Become the Streamlit server (exec): the process that was started is the one serving,
    so a signal to its pid (kill, Ctrl+C, a service manager's stop) stops the server and frees
    the port. Where exec is not available the server runs as a child and this process waits."""
    typer.echo(f"Serving on http://{host}:{port} (Ctrl+C stops it).")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(UI_ENTRY),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.maxUploadSize",
        str(settings.max_upload_mb),
        "--client.toolbarMode",
        "minimal",
        # Streamlit's "false" still shows the traceback ("stacktrace"); "none" shows a generic
        # message only, so no SQL, parameters or paths reach a page outside development.
        "--client.showErrorDetails",
        "full" if settings.development else "none",
    ]
    environment = settings.child_environment()
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(sys.executable, command, environment)
    try:
        raise typer.Exit(subprocess.call(command, env=environment))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


# A ReviewAppError (bad input, a refused action): its sentence and this code, for every command.
# Typer's own usage errors (an unknown option, a missing argument) keep click's 2.
INPUT_ERROR = 1


def main() -> None:
    """Entry point: ReviewAppError becomes a one-line message and exit code 1, no traceback."""
    try:
        app()  # standalone: usage errors print their message and exit 2
    except ReviewAppError as error:
        typer.echo(f"error: {error}", err=True)
        raise SystemExit(INPUT_ERROR) from None


if __name__ == "__main__":
    main()
