"""The studies of an analysis: those with usable consensus data, with what was converted flagged
(conversions, estimated values, combined arms, warnings, incomplete consensus), and those left out
with the reason."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from review_app.services.analysis_report import StudyLine

FLAG = "⚑"  # marks a row whose data were converted, estimated, combined or warned about


def show(lines: Sequence[StudyLine], left_out: Sequence[tuple[str, str]], *, grouped: bool) -> None:
    st.subheader("Studies")
    if lines:
        st.dataframe(
            pd.DataFrame([_row(line, grouped=grouped) for line in lines]),
            hide_index=True,
            width="stretch",
        )
        flagged = sum(_is_flagged(line) for line in lines)
        if flagged:
            st.caption(
                f"{FLAG} {flagged} of {len(lines)} studies have data that were converted, "
                "estimated or combined from several arms, have warnings, are indirect evidence, "
                "or have a consensus that is not complete: check them before relying on the "
                "result."
            )
    else:
        st.info("No study has usable consensus data for these choices.")
    if left_out:
        st.markdown(f"**Left out ({len(left_out)})**")
        st.dataframe(
            pd.DataFrame([{"Study": study, "Why": why} for study, why in left_out]),
            hide_index=True,
            width="stretch",
        )


def _is_flagged(line: StudyLine) -> bool:
    return bool(
        line.converted
        or line.estimated
        or line.combined
        or line.warnings
        or line.indirect
        or not line.complete
    )


def _row(line: StudyLine, *, grouped: bool) -> dict[str, object]:
    row: dict[str, object] = {
        "": FLAG if _is_flagged(line) else "",
        "Study": line.study,
        "Intervention": line.intervention,
        "Comparator": line.comparator,
        "Converted": "; ".join(line.converted),
        "Estimated": "yes" if line.estimated else "",
        "Arms combined": ", ".join(line.combined),
        "Warnings": " ".join(line.warnings),
        "Consensus": "complete" if line.complete else "not complete",
        "Indirect evidence": "yes" if line.indirect else "",
    }
    if grouped:
        row["Subgroup"] = line.group or ""
    return row
