"""The sof export: the review's Summary-of-Findings table (or, with ``profile``, its evidence
profile) as DOCX, a standalone HTML page, CSV or JSON.

Leads (and the command line) get the table as the final judgements give it now, a draft until
it is published; every other member gets the table a lead published last, and a refusal that
says so while none is. The JSON is ``domain/grade/sof.py``'s ``sof_json`` (one layout, whatever
``profile`` says: it holds every domain)."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlmodel import Session

from review_app.domain.grade.model import SofTable
from review_app.domain.vocabulary import Role, is_lead
from review_app.errors import NotFoundError
from review_app.services import grade
from review_app.services.exports.registry import EXPORTS
from review_app.services.permissions import Actor, require_role

NOT_PUBLISHED = (
    "the review's Summary-of-Findings table is not published yet; a lead publishes it on the "
    "GRADE page, and leads can export the current table before that"
)


def summary_of_findings(
    session: Session, *, actor: Actor, review_id: int, format: str, profile: bool = False
) -> bytes:
    """The table (or the evidence profile) in ``format``: docx, html, csv or json."""
    EXPORTS["sof"].check_format(format)
    table = table_for(session, actor=actor, review_id=review_id)
    return write_table(table, format, profile=profile)


def table_for(session: Session, *, actor: Actor, review_id: int) -> SofTable:
    """The table this actor may read: the current one for leads, else the published one."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    if is_lead(role):
        return grade.summary_of_findings(session, actor=actor, review_id=review_id)
    table = grade.published(session, actor=actor, review_id=review_id)
    if table is None:
        raise NotFoundError(NOT_PUBLISHED)
    return table


def write_table(table: SofTable, format: str, *, profile: bool = False) -> bytes:
    """The file's bytes; ``format`` is one of the export's (checked by the caller)."""
    return _WRITERS[format](table, profile)


def _docx(table: SofTable, profile: bool) -> bytes:
    from review_app.exporters.sof.word import sof_docx  # python-docx loads lxml

    return sof_docx(table, profile=profile)


def _html(table: SofTable, profile: bool) -> bytes:
    from review_app.exporters.sof.webpage import sof_html

    return sof_html(table, profile=profile)


def _csv(table: SofTable, profile: bool) -> bytes:
    from review_app.exporters.sof.flat import sof_csv

    return sof_csv(table, profile=profile)


def _json(table: SofTable, profile: bool) -> bytes:
    from review_app.domain.grade.sof import sof_json

    return (json.dumps(sof_json(table), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_WRITERS: dict[str, Callable[[SofTable, bool], bytes]] = {
    "docx": _docx,
    "html": _html,
    "csv": _csv,
    "json": _json,
}
