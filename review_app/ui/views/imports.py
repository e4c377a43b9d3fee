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
from review_app.services.deduplication import run_automatic_pass
from review_app.services.import_sources import (
    SOURCE_KIND_LABELS,
    SourceChoice,
    SourceSuggestion,
    source_choices,
    suggest_source,
)
from review_app.services.imports import (
    BatchPublic,
    ImportPreview,
    ImportSummary,
    Limits,
    import_file,
    import_limits,
    list_batches,
    preview_import,
    undo_import,
)
from review_app.services.reviews import get_protocol
from review_app.ui import background, deps, state
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
        sources = source_choices(get_protocol(session, review_id).search_sources)
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
    sources: list[SourceChoice],
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
    background.retrainer().request(review_id)  # the protocol ranks new records before any vote
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
    upload: UploadedFile, sources: list[SourceChoice], skip_invalid: bool
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
        suggestion = suggest_source(preview.source_guess, sources, file_name=upload.name)
        chosen = _choose_source(upload.name, sources, suggestion)
        if chosen is None:
            return None
        source, kind, searched = chosen
        if not st.checkbox(f"This file came from {source}", key=f"confirm_{upload.name}_{source}"):
            st.caption("Confirm the source to import this file: PRISMA counts its records there.")
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
            "Year": str(r.year) if r.year else "",  # never "None" in the table
            "Journal": r.journal or "",
        }
        for r in preview.first_records
    ]
    st.table(pd.DataFrame(rows).set_index("Title"))  # wraps, so it never runs past the page


def _choose_source(
    file_name: str, sources: list[SourceChoice], suggestion: SourceSuggestion
) -> tuple[str, str, date | None] | None:
    """The source, its kind and the search date; None until the person has named them all.
    Nothing is preselected unless the file (or its name) says where it came from."""
    if suggestion.reason:
        st.info(escape_markdown(suggestion.reason))
    names = [s.name for s in sources]
    options = [*names, OTHER]
    if suggestion.choice is not None:
        index: int | None = options.index(suggestion.choice.name)
    else:
        index = options.index(OTHER) if suggestion.named else None
    cols = st.columns([2, 1, 1])
    picked = cols[0].selectbox(
        "Source",
        options,
        index=index,
        format_func=lambda name: _source_label(name, sources),
        placeholder="Choose the database or register…",
        key=f"source_{file_name}",
    )
    if picked is None:
        st.warning("Choose the source this file came from to import it.")
        return None
    if picked == OTHER:
        named = _other_source(cols, file_name, suggestion.named or "")
        if named is None:
            return None
        name, kind = named
    else:
        source = sources[names.index(picked)]
        name, kind = source.name, source.kind
        cols[1].text_input(
            "Counted as",
            value=SOURCE_KIND_LABELS[kind],
            disabled=True,
            key=f"kind_shown_{file_name}",
        )
        if not source.in_protocol:
            st.info(_not_in_protocol(name))
    default_date = next((s.date_searched for s in sources if s.name == name), None)
    searched = cols[2].date_input("Date searched", value=default_date, key=f"date_{file_name}")
    return name, kind, searched if isinstance(searched, date) else None


def _source_label(name: str, sources: list[SourceChoice]) -> str:
    source = next((s for s in sources if s.name == name), None)
    return name if source is None or source.in_protocol else f"{name} (not in the protocol)"


def _not_in_protocol(name: str) -> str:
    return (
        f"{name} is not among the protocol's search sources: PRISMA will count these records "
        f"under {name}. If the file belongs to a protocol source, pick that one instead."
    )


def _other_source(cols: list[DeltaGenerator], file_name: str, named: str) -> tuple[str, str] | None:
    """A source the list lacks: its name (the file's own words when it gave any) and its kind,
    which the person chooses (a hand-search is not a database)."""
    name = cols[0].text_input("Source name", value=named, key=f"source_name_{file_name}").strip()
    kind = cols[1].selectbox(
        "Counted as",
        list(SOURCE_KIND_LABELS),
        index=None,
        format_func=SOURCE_KIND_LABELS.__getitem__,
        placeholder="Choose…",
        key=f"kind_{file_name}",
    )
    if not name or kind is None:
        st.warning("Name the source and say how PRISMA counts it (database, register or other).")
        return None
    return name, kind


def _show_batches(review_id: int, user: state.CurrentUser) -> None:
    for line in st.session_state.pop("import_summaries", []):
        st.success(line)
    st.subheader("Import batches")
    with deps.unit_of_work() as session:
        batches = list_batches(session, actor=user.actor, review_id=review_id)
    if not batches:
        st.info("Nothing imported yet.")
        return
    # A static table wraps its cells, so it fits any window (a data frame scrolls sideways).
    st.table(pd.DataFrame([_batch_row(b) for b in batches]), hide_index=True)
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
                undone = undo_import(
                    session, actor=user.actor, review_id=review_id, batch_id=chosen
                )
            background.retrainer().request(review_id)  # its records leave the rankings
            st.session_state["import_summaries"] = [undone.message]
            st.rerun()


def _batch_row(batch: BatchPublic) -> dict[str, object]:
    """One batch in six columns whose longest words are short, so the table fits a laptop's
    page beside the menu: the source's kind and search date share its cell, counts and who and
    when are folded together, and a missing date reads "not given", never "None"."""
    records = f"{batch.record_count:,}" + (
        f" ({batch.skipped_count:,} skipped)" if batch.skipped_count else ""
    )
    status = batch.status + (f", {batch.voted_records:,} with votes" if batch.voted_records else "")
    return {
        "No.": batch.id,  # the number an undo names ("Undid import 5")
        "File": f"{batch.file_name} ({batch.format})",
        "Source": _source_cell(batch),
        "Records": records,
        "Imported": f"{batch.imported_at:%Y-%m-%d %H:%M} by {batch.imported_by or 'command line'}",
        "Status": status,
    }


def _source_cell(batch: BatchPublic) -> str:
    """The source with where PRISMA counts it and when it was searched, in one cell."""
    kind = batch.source_kind if batch.source_kind in ("database", "register") else "other methods"
    searched = (
        f"searched {batch.date_searched.isoformat()}"
        if batch.date_searched
        else "search date not given"
    )
    return f"{batch.source_name} ({kind}), {searched}"
