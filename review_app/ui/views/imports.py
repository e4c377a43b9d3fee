"""Import search results: upload, confirm the source, preview, import, and undo earlier batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from review_app.errors import ImportFileError, ReviewAppError
from review_app.protocol import SearchSource
from review_app.services.deduplication import run_automatic_pass
from review_app.services.imports import (
    ImportPreview,
    ImportSummary,
    Limits,
    guess_source,
    import_file,
    import_limits,
    list_batches,
    preview_import,
    undo_import,
)
from review_app.services.reviews import get_protocol
from review_app.ui import deps, state
from review_app.ui.components.text import escape_markdown

OTHER = "Other source…"
UPLOADER_ROUND = "import_uploader_round"  # bumped after an import so the uploader empties


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Import search results")
    st.caption(
        "RIS, PubMed/MEDLINE (.nbib/.txt), BibTeX, EndNote XML, Web of Science (.ciw/.txt), "
        "CSV, TSV or XLSX exports. The format is detected from the content, and the file name's "
        f"ending decides when both fit. {_limits_sentence(import_limits(deps.settings()))}"
    )
    with deps.unit_of_work() as session:
        sources = get_protocol(session, review_id).search_sources
    round_ = st.session_state.get(UPLOADER_ROUND, 0)
    uploads = st.file_uploader(
        "Search-result files", accept_multiple_files=True, key=f"import_files_{round_}"
    )
    if uploads:
        _confirm_and_import(review_id, user, uploads, sources)
    _show_batches(review_id, user)


@dataclass(frozen=True, slots=True)
class ImportPlan:
    upload: UploadedFile
    source_name: str
    source_kind: str
    date_searched: date | None


def _confirm_and_import(
    review_id: int,
    user: state.CurrentUser,
    uploads: list[UploadedFile],
    sources: list[SearchSource],
) -> None:
    skip_invalid = st.checkbox(
        "Skip invalid records (import the valid ones, list the others)", key="import_skip_invalid"
    )
    plans = [_plan(upload, sources, skip_invalid) for upload in uploads]
    ready = [plan for plan in plans if plan is not None]
    force = st.checkbox("Import files again even if they were imported before", key="import_force")
    if not ready or not st.button(f"Import {len(ready)} file(s)", type="primary", key="import_go"):
        return
    bar = st.progress(0.0, text="Importing…")
    try:
        with deps.unit_of_work() as session:
            summaries = [
                _import(
                    session,
                    plan,
                    review_id,
                    user,
                    skip_invalid,
                    force,
                    _bar_part(bar, n, len(ready)),
                )
                for n, plan in enumerate(ready)
            ]
            dedup = run_automatic_pass(session, actor=user.actor, review_id=review_id)
    except ReviewAppError as error:
        bar.empty()
        st.error(str(error))
        return
    bar.progress(1.0, text="Done")
    st.session_state[UPLOADER_ROUND] = st.session_state.get(UPLOADER_ROUND, 0) + 1
    st.session_state["import_summaries"] = [_summary_line(s) for s in summaries] + [
        f"Deduplication: {dedup.merged_records} duplicates merged, {dedup.queued_pairs} pairs "
        "queued for review (Duplicates page)"
    ]
    st.rerun()


def _import(
    session: deps.Session,
    plan: ImportPlan,
    review_id: int,
    user: state.CurrentUser,
    skip_invalid: bool,
    force: bool,
    progress: Callable[[float], None],
) -> ImportSummary:
    return import_file(
        session,
        actor=user.actor,
        review_id=review_id,
        data=plan.upload.getvalue(),
        file_name=plan.upload.name,
        source_name=plan.source_name,
        source_kind=plan.source_kind,
        date_searched=plan.date_searched,
        skip_invalid=skip_invalid,
        force=force,
        progress=progress,
        limits=import_limits(deps.settings()),
    )


def _limits_sentence(limits: Limits) -> str:
    return (
        f"Up to {limits.max_megabytes:,.0f} MB (an XLSX unpacked), {limits.max_records:,} records "
        f"and {limits.max_field_chars:,} characters a field per file."
    )


def _bar_part(bar: DeltaGenerator, number: int, total: int) -> Callable[[float], None]:
    """Progress of file ``number`` of ``total`` as its share of one bar."""

    def show(share: float) -> None:
        bar.progress((number + share) / total, text=f"Importing file {number + 1} of {total}…")

    return show


def _summary_line(summary: ImportSummary) -> str:
    line = f"Imported {summary.file_name}: {summary.imported} records from {summary.source_name}"
    line += f" ({summary.format})"
    return line + (f"; {summary.skipped} invalid records skipped" if summary.skipped else "")


def _plan(
    upload: UploadedFile, sources: list[SearchSource], skip_invalid: bool
) -> ImportPlan | None:
    """One file's preview and source choice; None when it cannot be imported as it is."""
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(upload.name)}**")
        try:
            preview = preview_import(
                data=upload.getvalue(),
                file_name=upload.name,
                skip_invalid=skip_invalid,
                limits=import_limits(deps.settings()),
            )
        except ImportFileError as error:
            st.error(str(error))
            return None
        _show_preview(preview)
        source, kind, searched = _choose_source(upload.name, sources)
        if not source:
            st.warning("Name the source of this file to import it.")
            return None
        return ImportPlan(upload, source, kind, searched)


def _show_preview(preview: ImportPreview) -> None:
    st.write(f"{preview.record_count} records · format {preview.format} · {preview.encoding}")
    for warning in preview.warnings:
        st.warning(warning)
    if preview.problems:
        st.warning(
            f"{len(preview.problems)} invalid records will be skipped:\n\n"
            + "\n".join(f"- {escape_markdown(str(p))}" for p in preview.problems[:20])
        )
    rows = [
        {
            "Title": r.title,
            "Authors": "; ".join(r.authors[:3]),
            "Year": r.year,
            "Journal": r.journal,
        }
        for r in preview.first_records
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _choose_source(file_name: str, sources: list[SearchSource]) -> tuple[str, str, date | None]:
    names = [s.name for s in sources]
    guessed = guess_source(file_name, names)
    options = [*names, OTHER]
    cols = st.columns([2, 1, 1])
    picked = cols[0].selectbox(
        "Source", options, index=options.index(guessed) if guessed else 0, key=f"source_{file_name}"
    )
    if picked == OTHER:
        name = cols[0].text_input("Source name", key=f"source_name_{file_name}").strip()
        kind = cols[1].selectbox(
            "Kind",
            ["database", "register", "website", "organisation", "citation", "other"],
            key=f"kind_{file_name}",
        )
    else:
        source = sources[names.index(picked)]
        name, kind = source.name, source.kind
        cols[1].text_input("Kind", value=kind, disabled=True, key=f"kind_shown_{file_name}")
    default_date = next((s.date_searched for s in sources if s.name == name), None)
    searched = cols[2].date_input("Date searched", value=default_date, key=f"date_{file_name}")
    return name, kind, searched if isinstance(searched, date) else None


def _show_batches(review_id: int, user: state.CurrentUser) -> None:
    for line in st.session_state.pop("import_summaries", []):
        st.success(line)
    st.subheader("Import batches")
    with deps.unit_of_work() as session:
        batches = list_batches(session, actor=user.actor, review_id=review_id)
    if not batches:
        st.info("Nothing imported yet.")
        return
    table = pd.DataFrame(
        [
            {
                "Batch": b.id,
                "File": b.file_name,
                "Source": b.source_name,
                "Kind": b.source_kind,
                "Format": b.format,
                "Records": b.record_count,
                "Skipped": b.skipped_count,
                "Date searched": b.date_searched,
                "Imported": b.imported_at.strftime("%Y-%m-%d %H:%M"),
                "By": b.imported_by or "command line",
                "Status": b.status,
                "Records with votes": b.voted_records,
            }
            for b in batches
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    undoable = [b for b in batches if b.status == "active" and b.voted_records == 0]
    if not undoable:
        return
    with st.expander("Undo an import"):
        labels = {
            b.id: f"{b.id}: {b.file_name} ({b.source_name}, {b.record_count} records)"
            for b in undoable
        }
        chosen = st.selectbox(
            "Batch", list(labels), format_func=labels.__getitem__, key="undo_batch"
        )
        st.caption("Only batches none of whose records has a screening vote can be undone.")
        if st.button("Undo this import", key="undo_go"):
            with deps.unit_of_work() as session:
                undo_import(session, actor=user.actor, review_id=review_id, batch_id=chosen)
            st.session_state["import_summaries"] = []
            st.rerun()
