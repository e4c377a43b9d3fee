"""Every file a review can be exported to, declared once.

The command line's ``review-app export ...`` commands (and ``review-app prisma``) and the web
app's Exports page are both made from :data:`EXPORTS`, so an export added here (extraction, risk
of bias, a meta-analysis...) appears in both, with the same bytes.

This module is light on purpose: it imports no service. Each entry names its function by module
and name, imported when a file is made, so the command line can build its commands at start-up.
Every export function checks the actor itself (the role here says what that check asks, for the
page and the help); it is called as ``function(session, actor=..., review_id=..., format=...,
**options)`` and returns the file's bytes, or named files (``parts``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from review_app.domain.vocabulary import Role, Stage
from review_app.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from sqlmodel import Session

    from review_app.importers import Limits
    from review_app.services.permissions import Actor

MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ris": "application/x-research-info-systems",
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "json": "application/json",
}
RECORD_STAGES = ("all", "unique", *Stage, "included")  # the screening stages, and three sets
EXTRACTION_VALUES = ("consensus", "all")  # the consensus copies, or every copy
PLOT_TYPES = ("traffic-light", "summary")  # robvis's two risk-of-bias plots
ANALYSIS_PLOTS = ("forest", "funnel")  # the plots of a saved meta-analysis


@dataclass(frozen=True, slots=True)
class Option:
    """A choice an export takes besides its format: one of fixed ``choices`` (the records'
    stage), or one of the review's own (a saved analysis's name), which ``choices_from`` lists.

    ``choices_from`` ("module:function" under review_app.services.exports) is called as
    ``function(session, actor=..., review_id=...)`` and returns the choices in order, checking
    the actor as the export does; such an option has no fixed choices, and its default ``""``
    leaves the choice to the export function (the first of the review's). ``help`` says what
    the command line takes where the choices are not fixed.
    """

    name: str
    choices: tuple[str, ...]
    default: str
    label: str  # on the Exports page
    choices_from: str = ""
    help: str = ""

    @property
    def is_dynamic(self) -> bool:
        """The choices are the review's, listed when asked for (not fixed here)."""
        return bool(self.choices_from)

    @property
    def usage(self) -> str:
        """What the option takes, for the command line's help."""
        return self.help or " | ".join(self.choices)

    def review_choices(self, session: Session, *, actor: Actor, review_id: int) -> tuple[str, ...]:
        """The choices for this review: the fixed ones, or those ``choices_from`` lists."""
        if not self.is_dynamic:
            return self.choices
        return tuple(_function(self.choices_from)(session, actor=actor, review_id=review_id))


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One file of an export: its name is the chosen name's stem + ``suffix`` + ``.format``."""

    suffix: str  # "" for the main file, e.g. "-agreement" for a file written beside it
    data: bytes


@dataclass(frozen=True, slots=True)
class Export:
    name: str  # the command: `review-app export NAME`, unless ``command`` says otherwise
    formats: tuple[str, ...]
    role: Role  # the role the export function asks for while the review is blind
    description: str  # one line: the command's help and the page's caption
    function: str  # "module:function", the module under review_app.services.exports
    options: tuple[Option, ...] = ()
    # a lower role that may have it once a lead unblinds the review (None: ``role`` always)
    role_unblinded: Role | None = None
    # format -> the named files the function returns for it -> their name suffixes; a format
    # not listed gives one file (bytes)
    parts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    format_option: bool = False  # the command line takes --format besides the suffix of -o
    any_suffix: bool = False  # the one format, whatever the suffix of -o
    command: tuple[str, ...] = ()  # the command's words; () for ("export", name)
    title: str = ""  # the Exports page's heading; "" for the name, capitalised
    # format ("*" for any) -> what the command line adds in brackets after "Wrote PATH"; it may
    # name {format} and the options
    notes: Mapping[str, str] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        return self.title or self.name.capitalize()

    @property
    def words(self) -> tuple[str, ...]:
        return self.command or ("export", self.name)

    def suffixes(self, format: str) -> tuple[str, ...]:
        """The name suffixes of the files ``format`` gives ("" for the main file)."""
        return tuple(self.parts.get(format, {"": ""}).values())

    def check_format(self, format: str) -> None:
        """ValidationError unless the export has ``format``, naming the ones it has."""
        if format not in self.formats:
            raise ValidationError(f"format {format!r}: allowed are {', '.join(self.formats)}")

    def load(self) -> Callable[..., bytes | Mapping[str, bytes]]:
        function: Callable[..., bytes | Mapping[str, bytes]] = _function(self.function)
        return function

    def make(
        self, session: Session, *, actor: Actor, review_id: int, format: str, **options: Any
    ) -> list[ExportFile]:
        """The export's files in ``format``; the function checks the actor and the format."""
        made = self.load()(session, actor=actor, review_id=review_id, format=format, **options)
        if isinstance(made, bytes):
            return [ExportFile("", made)]
        names = self.parts[format]
        return [ExportFile(names[key], data) for key, data in made.items()]

    def note(self, format: str, options: Mapping[str, Any]) -> str:
        template = self.notes.get(format, self.notes.get("*", ""))
        return template.format(format=format, **options)


def _function(reference: str) -> Callable[..., Any]:
    """The function "module:name" names, its module under review_app.services.exports."""
    module, name = reference.split(":")
    function: Callable[..., Any] = getattr(
        importlib.import_module(f"review_app.services.exports.{module}"), name
    )
    return function


EXPORTS: dict[str, Export] = {
    export.name: export
    for export in (
        Export(
            name="records",
            formats=("csv", "ris", "xlsx"),
            role=Role.LEAD,
            description="Write the review's records as CSV, RIS or XLSX.",
            function="records:export_records",
            options=(Option("stage", RECORD_STAGES, "all", "Which records"),),
            format_option=True,
            notes={"*": "{format}, stage {stage}"},
        ),
        Export(
            name="duplicates",
            formats=("csv",),
            role=Role.LEAD,
            description=(
                "One row per record: record_id, source_record_id, source, cluster_id, "
                "is_primary, decided_by, status."
            ),
            function="duplicates:export_duplicates",
        ),
        Export(
            name="decisions",
            formats=("csv", "xlsx"),
            role=Role.LEAD,
            description=(
                "Every reviewer's votes, the resolutions and each record's status, with "
                "agreement statistics (a second sheet in XLSX; PATH-agreement.csv beside a CSV)."
            ),
            function="decisions:export_decisions",
            parts={
                "csv": {"decisions": "", "agreement": "-agreement"},
                "xlsx": {"workbook": ""},
            },
            notes={"xlsx": "sheets: decisions, agreement"},
        ),
        Export(
            name="included",
            formats=("ris", "csv", "xlsx"),
            role=Role.LEAD,
            description="The reports of the included studies, with their study labels.",
            function="tables:export_included",
        ),
        Export(
            name="statuses",
            formats=("csv", "xlsx"),
            role=Role.LEAD,
            description=(
                "Every record (duplicates too) with its source, stage, votes and final status."
            ),
            function="tables:export_statuses",
        ),
        Export(
            name="audit",
            formats=("csv",),
            role=Role.LEAD,
            description="The audit log: who changed what, when, before and after.",
            function="tables:export_audit",
            any_suffix=True,
        ),
        Export(
            name="extraction",
            formats=("csv", "xlsx"),
            role=Role.LEAD,
            description=(
                "Every study's extraction, one row per arm, result and contrast (the columns: "
                "README: Extraction files); XLSX adds a RevMan sheet per outcome."
            ),
            function="extraction:export_extraction",
            options=(Option("values", EXTRACTION_VALUES, "consensus", "Which copies"),),
            notes={"csv": "values {values}", "xlsx": "values {values}; RevMan sheet per outcome"},
        ),
        Export(
            name="rob",
            formats=("csv", "xlsx"),
            role=Role.LEAD,
            description=(
                "Every risk-of-bias assessment, each assessor's and the consensus: answers, "
                "judgements, support (README: Risk of bias files); XLSX adds a robvis sheet per "
                "outcome."
            ),
            function="rob:export_rob",
            notes={"xlsx": "robvis sheet per outcome"},
        ),
        Export(
            name="rob-plot",
            formats=("svg", "png", "pdf"),
            role=Role.LEAD,  # reviewers too where the protocol's [appraisal] blind is false
            description=(
                "The consensus risk of bias of an outcome as robvis's traffic-light or summary "
                "plot (format from the suffix; the protocol's first outcome unless one is named)."
            ),
            function="rob:export_rob_plot",
            options=(Option("type", PLOT_TYPES, "traffic-light", "Plot"),),
            command=("rob", "plot"),
        ),
        Export(
            name="analyses",
            formats=("csv", "xlsx"),
            role=Role.LEAD,  # every member where the protocol's [extraction] blind is false
            description=(
                "Every saved meta-analysis computed again from the consensus extraction: its "
                "settings, per-study rows and pooled rows (subgroups and their test too), at full "
                "precision (PATH-studies.csv and PATH-pooled.csv beside a CSV; a sheet each in "
                "XLSX)."
            ),
            function="analyses:export_analyses",
            parts={
                "csv": {"settings": "", "studies": "-studies", "pooled": "-pooled"},
                "xlsx": {"workbook": ""},
            },
            notes={"xlsx": "sheets: Analyses, Studies, Pooled"},
        ),
        Export(
            name="analysis-plot",
            formats=("svg", "png", "pdf"),
            role=Role.LEAD,  # every member where the protocol's [extraction] blind is false
            description=(
                "A saved meta-analysis's forest plot in RevMan's layout (with the consensus risk "
                "of bias beside each study when assessed) or its funnel plot (format from the "
                "suffix; the first saved analysis unless one is named)."
            ),
            function="analyses:export_analysis_plot",
            options=(
                Option(
                    "analysis",
                    (),
                    "",
                    "Analysis",
                    choices_from="analyses:analysis_names",
                    help="A saved analysis's name (default: the first by name).",
                ),
                Option("plot", ANALYSIS_PLOTS, "forest", "Plot"),
            ),
            notes={"*": "{plot} plot"},
        ),
        Export(
            name="prisma",
            formats=("svg", "png", "pdf", "csv"),
            role=Role.LEAD,
            role_unblinded=Role.REVIEWER,
            description=(
                "The PRISMA 2020 flow diagram computed from the decisions (format from the "
                "suffix; the CSV in the PRISMA2020 R package's layout)."
            ),
            function="prisma:export_prisma",
            command=("prisma",),
        ),
        Export(
            name="sof",
            formats=("docx", "html", "csv", "json"),
            role=Role.REVIEWER,  # leads get the current table, other members the published one
            description=(
                "The GRADE Summary-of-Findings table in GRADEpro's layout (the evidence profile "
                "with --profile) as a Word table, a standalone HTML page, CSV or JSON (format "
                "from the suffix); leads get the current judgements, other members the table a "
                "lead published."
            ),
            function="sof:summary_of_findings",
            command=("sof",),
            title="Summary of findings (GRADE)",
        ),
    )
}


def get_export(name: str) -> Export:
    try:
        return EXPORTS[name]
    except KeyError:
        raise NotFoundError(
            f"export {name!r}: there is none; the exports are {', '.join(EXPORTS)}"
        ) from None


def output_help(export: Export) -> str:
    """The file names an export writes, for ``-o``: "PATH.csv or PATH.xlsx"."""
    paths = [f"PATH.{format}" for format in export.formats]
    return paths[0] if len(paths) == 1 else f"{', '.join(paths[:-1])} or {paths[-1]}"


@dataclass(frozen=True, slots=True)
class FileImport:
    """A file made elsewhere (or exported here) that a lead brings into the review: the Exports
    page offers an upload for each, the command line has ``review-app import NAME``.

    ``function`` ("module:function" under review_app.services) is called as
    ``function(session, actor=..., review_id=..., data=..., file_name=..., limits=...)``, checks
    the actor itself, writes all or nothing and returns a summary whose ``describe()`` gives the
    line (or lines) to show.
    """

    name: str
    formats: tuple[str, ...]
    description: str  # one line: the page's caption
    function: str

    def run(
        self,
        session: Session,
        *,
        actor: Actor,
        review_id: int,
        data: bytes,
        file_name: str,
        limits: Limits,
    ) -> list[str]:
        """Import the file; what the summary says, as lines."""
        module, name = self.function.split(":")
        function = getattr(importlib.import_module(f"review_app.services.{module}"), name)
        summary = function(
            session,
            actor=actor,
            review_id=review_id,
            data=data,
            file_name=file_name,
            limits=limits,
        )
        described = summary.describe()
        return [described] if isinstance(described, str) else list(described)


IMPORTS: dict[str, FileImport] = {
    entry.name: entry
    for entry in (
        FileImport(
            name="extraction",
            formats=("csv", "xlsx"),
            description=(
                "Studies' extraction in the layout of the extraction export (README: Extraction "
                "files), replacing the copies the file names."
            ),
            function="extraction_import:import_extraction",
        ),
        FileImport(
            name="rob",
            formats=("csv", "xlsx"),
            description=(
                "Risk-of-bias assessments in the layout of the rob export (every answer), "
                "replacing the copies the file names."
            ),
            function="appraisal_import:import_rob",
        ),
        FileImport(
            name="decisions",
            formats=("csv", "xlsx"),
            description=(
                "Screening votes and lead resolutions made in another tool, cast as the people "
                "the file names (README: Moving a review in mid-way)."
            ),
            function="decision_import:import_decisions",
        ),
    )
}
