"""The extraction form of one copy: study characteristics, design facts, arms and results.

Every widget is bound to a path of the copy's ``Draft`` (``components/extraction_draft.py``):
its key is ``xw:<copy id>:<path>``, filled from the draft when it is first drawn, and what it
shows is written back to the draft on every run, so typed values survive reruns, refused saves
and leaving the page. Fields are plain inputs (Tab moves on, Enter commits and redraws the
derived values); adding an arm or a result is a small form (Enter submits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from review_app.domain.extraction.fields import NO, YES, check_characteristic
from review_app.domain.extraction.formats import (
    FORMATS,
    MEASURES_FOR,
    Derived,
    Problem,
    check_design,
    check_result,
    derive,
    formats_for,
    measures_for,
)
from review_app.domain.extraction.model import StudyExtraction, same_label
from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign
from review_app.errors import ReviewAppError
from review_app.protocol import ExtractionField, Outcome, Protocol
from review_app.ui.components.copy_editing import forget_keys
from review_app.ui.components.extraction_draft import (
    DESIGN_LABELS,
    Draft,
    Labels,
    read_design,
    read_number,
    read_result,
    result_place,
)
from review_app.ui.components.text import escape_markdown

ROLE_LABELS = {ArmRole.INTERVENTION: "Intervention", ArmRole.COMPARATOR: "Comparator"}
DESIGN_KIND_LABELS = {
    StudyDesign.PARALLEL: "Parallel groups",
    StudyDesign.CROSSOVER: "Crossover",
    StudyDesign.CLUSTER: "Cluster randomised",
}
DERIVED_LABELS = {
    "n": "n",
    "mean": "mean",
    "sd": "SD",
    "events": "events",
    "total": "total",
    "person_time": "person-time",
    "estimate": "estimate",
    "ci_lower": "CI lower",
    "ci_upper": "CI upper",
    "yi": "log estimate",
    "se": "SE",
}


def labels_for(protocol: Protocol) -> Labels:
    return Labels(
        outcomes={outcome.id: outcome.name for outcome in protocol.outcomes},
        format_fields={
            format_id: {f.name: (f.label, f.whole) for f in result_format.fields}
            for format_id, result_format in FORMATS.items()
        },
    )


def widget_key(copy_id: int, path: str) -> str:
    return f"xw:{copy_id}:{path}"


def forget_widgets(copy_id: int) -> None:
    """Drop the copy's widget values, so the next run draws them from a replaced draft."""
    forget_keys(widget_key(copy_id, ""))


class Form:
    """The form of one copy on this run: the draft it edits and the protocol it follows."""

    def __init__(self, copy_id: int, draft: Draft, protocol: Protocol) -> None:
        self.copy_id = copy_id
        self.draft = draft
        self.protocol = protocol
        self.labels = labels_for(protocol)

    # --- binding ------------------------------------------------------------------------------

    def bind(self, widget: Callable[..., Any], label: str, path: str, **options: Any) -> Any:
        """Draw ``widget`` with its value kept under ``path`` in the draft."""
        key = widget_key(self.copy_id, path)
        if key not in st.session_state:
            st.session_state[key] = self.draft.values.get(path, options.pop("empty", ""))
        options.pop("empty", None)
        value = widget(label, key=key, **options)
        self.draft.values[path] = value
        return value

    def choose(
        self,
        label: str,
        path: str,
        choices: Sequence[Any],
        *,
        format_func: Callable[[Any], str] = str,
        **options: Any,
    ) -> Any:
        """A selectbox bound to ``path``; a stored value no longer among ``choices`` shows none."""
        key = widget_key(self.copy_id, path)
        current = st.session_state.get(key, self.draft.values.get(path))
        if current not in choices:
            st.session_state[key] = None
        return self.bind(
            st.selectbox,
            label,
            path,
            options=list(choices),
            format_func=format_func,
            index=None,
            placeholder="Choose…",
            empty=None,
            **options,
        )

    # --- characteristics ----------------------------------------------------------------------

    def characteristics(self) -> None:
        if not self.protocol.extraction_fields:
            st.caption("The protocol names no study characteristics to extract.")
            return
        st.caption("Fields marked * are required before the copy can be marked complete.")
        columns = st.columns(2)
        for index, extraction_field in enumerate(self.protocol.extraction_fields):
            with columns[index % 2]:
                self._characteristic(extraction_field)

    def _characteristic(self, extraction_field: ExtractionField) -> None:
        label = extraction_field.label + (" *" if extraction_field.required else "")
        path = f"char:{extraction_field.id}"
        help_text = extraction_field.help or None
        if extraction_field.type == "choice":
            self.choose(label, path, extraction_field.choices, help=help_text)
            return
        if extraction_field.type == "boolean":
            self.choose(label, path, BOOLEAN_CHOICES, help=help_text)
            return
        typed = self.bind(st.text_input, label, path, help=help_text)
        if extraction_field.type in {"number", "integer"} and typed:
            try:
                check_characteristic(extraction_field, typed)
            except ReviewAppError as error:
                st.caption(f":red[{escape_markdown(str(error))}]")

    # --- design -------------------------------------------------------------------------------

    def design(self) -> None:
        kind = self.choose(
            "Design",
            "design:kind",
            list(StudyDesign),
            format_func=lambda kind: DESIGN_KIND_LABELS[StudyDesign(kind)],
            help="Crossover and cluster designs need the facts a paired or clustered analysis "
            "uses (Cochrane Handbook 23.1 and 23.2).",
        )
        if kind == StudyDesign.CROSSOVER:
            self.bind(
                st.text_input,
                DESIGN_LABELS["crossover_correlation"],
                "design:crossover_correlation",
                help="Within-person correlation between the two periods, reported or imputed "
                "(Cochrane Handbook 23.2.7); leave empty when contrasts give a paired SE.",
            )
        elif kind == StudyDesign.CLUSTER:
            left, right = st.columns(2)
            with left:
                self.bind(
                    st.text_input, DESIGN_LABELS["mean_cluster_size"], "design:mean_cluster_size"
                )
            with right:
                self.bind(
                    st.text_input,
                    DESIGN_LABELS["icc"],
                    "design:icc",
                    help="Design effect = 1 + (M - 1) x ICC (Cochrane Handbook 23.1.4).",
                )
        self._design_problems()
        self.bind(st.text_input, "Design note", "design:note")
        self.bind(
            st.text_area,
            "Indirect evidence (why this study answers a different question; empty if direct)",
            "indirect",
            height=68,
            help="A study marked here is shown and extracted but left out of the main analyses.",
        )

    def _design_problems(self) -> None:
        """Design numbers that cannot be read or cannot be (an ICC above 1), as typed."""
        design, unreadable = read_design(self.draft)
        lines = [f"{u.field}: {u.message}" for u in unreadable]
        lines += [
            f"{DESIGN_LABELS.get(p.field, p.field)}: {p.message}" for p in check_design(design)
        ]
        for line in lines:
            st.caption(f":red[{escape_markdown(line)}]")

    # --- arms ---------------------------------------------------------------------------------

    def arms(self) -> None:
        if not self.draft.arms:
            st.caption("No arms yet: add the study's groups below.")
        for token in list(self.draft.arms):
            self._arm(token)
        self._add_arm()

    def _arm(self, token: int) -> None:
        prefix = f"arm:{token}:"
        with st.container(border=True):
            label, role, randomised = st.columns([3, 2, 2])
            with label:
                self.bind(st.text_input, "Arm label", prefix + "label")
            with role:
                self.choose(
                    "Role",
                    prefix + "role",
                    list(ArmRole),
                    format_func=lambda role: ROLE_LABELS[ArmRole(role)],
                )
            with randomised:
                typed = self.bind(st.text_input, "Randomised", prefix + "randomised")
            description, remove = st.columns([6, 1], vertical_alignment="bottom")
            with description:
                self.bind(st.text_input, "Description", prefix + "description")
            with remove:
                used = len(self.draft.results_of_arm(token))
                st.button(
                    "Remove",
                    key=widget_key(self.copy_id, prefix + "remove"),
                    disabled=used > 0,
                    help=f"Remove its {used} result(s) first." if used else "Remove this arm.",
                    on_click=self.draft.remove_arm,
                    args=(token,),
                )
            try:
                read_number(typed, whole=True)
            except ValueError as error:
                st.caption(f":red[Randomised: {escape_markdown(str(error))}]")

    def _add_arm(self) -> None:
        form_key = widget_key(self.copy_id, "add_arm")
        roles = [self.draft.text(f"arm:{t}:role") for t in self.draft.arms]
        # the first arm is usually the intervention, the next the comparator
        usual = ArmRole.COMPARATOR if ArmRole.INTERVENTION in roles else ArmRole.INTERVENTION
        with st.form(form_key, clear_on_submit=True, border=False):
            cols = st.columns([3, 2, 2], vertical_alignment="bottom")
            label = cols[0].text_input("New arm's label", key=form_key + ":label")
            role = cols[1].selectbox(
                "Its role",
                list(ArmRole),
                index=list(ArmRole).index(usual),
                format_func=lambda role: ROLE_LABELS[ArmRole(role)],
                key=f"{form_key}:role:{usual}",
            )
            added = cols[2].form_submit_button("Add arm")
        if added:
            if not label.strip():
                st.error("Give the new arm a label (e.g. 'Kratom 2 g' or 'Placebo').")
            elif self.draft.arm_token(label) is not None:
                st.error(f"This study already has an arm labelled '{label.strip()}'.")
            else:
                self.draft.add_arm(label, role or usual)
                st.rerun()

    # --- results ------------------------------------------------------------------------------

    def results(self) -> None:
        if not self.draft.arms:
            st.caption("Add the study's arms first: results belong to an arm or to two.")
        for outcome in self.protocol.outcomes:
            tokens = [
                t
                for t in self.draft.results
                if self.draft.values.get(f"res:{t}:outcome") == outcome.id
            ]
            unit = f" · {outcome.unit}" if outcome.unit else ""
            title = f"{outcome.name} ({outcome.type}{unit}) · {len(tokens)} result(s)"
            with st.expander(title, expanded=bool(tokens)):
                if outcome.description:
                    st.caption(escape_markdown(outcome.description))
                for token in self._in_order(tokens):
                    self._result(outcome, token)
                if self.draft.arms:
                    self._add_results(outcome)

    def _add_results(self, outcome: Outcome) -> None:
        """Two small forms: one result per chosen arm, or one result between two arms."""
        arms = list(self.draft.arms)
        name = self.draft.arm_label
        # the arm choices start afresh whenever arms are added or removed
        arms_now = "-".join(map(str, arms))
        per_arm, between = st.columns(2, gap="large")
        key = widget_key(self.copy_id, f"add_arm_results:{outcome.id}")
        with per_arm, st.form(key):
            st.markdown("**Add per-arm results**")
            timepoint = st.text_input("Time point", placeholder="e.g. 8 weeks", key=key + ":time")
            format_id = self._format_choice(outcome, contrast=False, key=key + ":format")
            chosen = st.multiselect(
                "Arms", arms, default=arms, format_func=name, key=f"{key}:arms:{arms_now}"
            )
            if st.form_submit_button("Add per-arm results"):
                self._add(outcome, timepoint, format_id, [(arm, None) for arm in chosen])
        key = widget_key(self.copy_id, f"add_contrast:{outcome.id}")
        with between, st.form(key):
            st.markdown("**Add a between-arm result**")
            timepoint = st.text_input("Time point", placeholder="e.g. 8 weeks", key=key + ":time")
            format_id = self._format_choice(outcome, contrast=True, key=key + ":format")
            left, right = st.columns(2)
            arm = left.selectbox("Arm", arms, format_func=name, key=f"{key}:arm:{arms_now}")
            comparator = right.selectbox(
                "Compared with",
                arms,
                index=min(1, len(arms) - 1),
                format_func=name,
                key=f"{key}:comparator:{arms_now}",
            )
            measures = MEASURES_FOR.get(outcome.type, tuple(EffectMeasure))
            measure = st.selectbox(
                "Effect measure",
                measures,
                format_func=lambda m: f"{EffectMeasure(m).label} ({m})",
                index=None,
                placeholder="Choose…",
                key=f"{key}:measure",
            )
            if st.form_submit_button("Add between-arm result"):
                self._add(outcome, timepoint, format_id, [(arm, comparator)], measure=measure)

    def _format_choice(self, outcome: Outcome, *, contrast: bool, key: str) -> str | None:
        formats = formats_for(outcome.type, contrast=contrast)
        return st.selectbox(
            "Reported as",
            [f.id for f in formats],
            format_func=lambda fid: FORMATS[fid].label,
            key=key,
        )

    def _add(
        self,
        outcome: Outcome,
        timepoint: str,
        format_id: str | None,
        arms: list[tuple[int, int | None]],
        *,
        measure: EffectMeasure | None = None,
    ) -> None:
        if not timepoint.strip():
            st.error("Name the time point (e.g. '8 weeks' or 'end of treatment').")
            return
        if not arms or format_id is None:
            st.error("Choose at least one arm and how the paper reports the result.")
            return
        if any(arm == comparator for arm, comparator in arms):
            st.error("A between-arm result compares two different arms.")
            return
        if arms[0][1] is not None and not self._measure_fits(outcome, format_id, measure):
            return
        for arm, comparator in arms:
            self.draft.add_result(
                outcome_id=outcome.id,
                timepoint=timepoint,
                arm=arm,
                format_id=format_id,
                comparator=comparator,
                measure=measure,
            )
        st.rerun()

    def _measure_fits(
        self, outcome: Outcome, format_id: str, measure: EffectMeasure | None
    ) -> bool:
        allowed = measures_for(FORMATS[format_id], outcome.type)
        if measure in allowed:
            return True
        names = ", ".join(f"{m.label} ({m})" for m in allowed)
        given = "no effect measure" if measure is None else f"{measure.label}"
        st.error(f"{FORMATS[format_id].label} with {given}: choose one of {names}.")
        return False

    def _in_order(self, tokens: list[int]) -> list[int]:
        """Time points in the order they were first entered (the paper's), arm results before
        contrasts, then as entered."""
        first: dict[str, int] = {}
        for position, token in enumerate(self.draft.results):
            first.setdefault(same_label(self.draft.text(f"res:{token}:timepoint")), position)

        def order(token: int) -> tuple[int, bool, int]:
            timepoint = same_label(self.draft.text(f"res:{token}:timepoint"))
            return first[timepoint], self.draft.is_contrast(token), self.draft.results.index(token)

        return sorted(tokens, key=order)

    def _result(self, outcome: Outcome, token: int) -> None:
        prefix = f"res:{token}:"
        contrast = self.draft.is_contrast(token)
        arm_tokens = list(self.draft.arms)
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(result_place(self.draft, token, self.labels))}**")
            timepoint, reported = st.columns([1, 2])
            with timepoint:
                self.bind(st.text_input, "Time point", prefix + "timepoint")
            with reported:
                formats = formats_for(outcome.type, contrast=contrast)
                format_id = self.choose(
                    "Reported as",
                    prefix + "format",
                    [f.id for f in formats],
                    format_func=lambda fid: FORMATS[fid].label,
                )
            cols = st.columns([3, 3, 3, 2] if contrast else [1, 2], vertical_alignment="bottom")
            with cols[0]:
                self.choose("Arm", prefix + "arm", arm_tokens, format_func=self.draft.arm_label)
            if contrast:
                with cols[1]:
                    self.choose(
                        "Compared with",
                        prefix + "comparator",
                        arm_tokens,
                        format_func=self.draft.arm_label,
                    )
                self._contrast_facts(prefix, format_id, outcome, cols[2], cols[3])
            if format_id in FORMATS:
                self._values(prefix, format_id)
            self.bind(st.text_area, "Note", prefix + "note", height=68)
            self._derived(outcome, token)
            st.button(
                "Remove result",
                key=widget_key(self.copy_id, prefix + "remove"),
                on_click=self.draft.remove_result,
                args=(token,),
                type="tertiary",
            )

    def _contrast_facts(
        self, prefix: str, format_id: str | None, outcome: Outcome, left: Any, right: Any
    ) -> None:
        measures = (
            measures_for(FORMATS[format_id], outcome.type)
            if format_id is not None and format_id in FORMATS
            else MEASURES_FOR.get(outcome.type, tuple(EffectMeasure))
        )
        with left:
            self.choose(
                "Effect measure",
                prefix + "measure",
                list(measures),
                format_func=lambda m: f"{EffectMeasure(m).label} ({m})",
            )
        with right:
            self.bind(
                st.checkbox,
                "Adjusted",
                prefix + "adjusted",
                empty=False,
                help="Adjusted for covariates, clustering or pairing.",
            )

    def _values(self, prefix: str, format_id: str) -> None:
        fields = FORMATS[format_id].fields
        columns = st.columns(max(len(fields), 1))
        for column, format_field in zip(columns, fields, strict=False):
            with column:
                self.bind(
                    st.text_input,
                    format_field.label,
                    f"{prefix}v:{format_field.name}",
                    help=format_field.help or None,
                )

    def _derived(self, outcome: Outcome, token: int) -> None:
        """What the analysis will use, derived as typed, or why it cannot be yet."""
        result, unreadable = read_result(self.draft, token, self.labels)
        problems = [] if unreadable else check_result(result, outcome_type=outcome.type)
        lines = [f"{u.field}: {u.message}" for u in unreadable] + [
            self._problem(p) for p in problems
        ]
        for line in lines:
            st.caption(f":red[{escape_markdown(line)}]")
        if lines or not result.values:
            return
        design, _ = read_design(self.draft)
        show_derived(
            derive(result, design=design), ratio=bool(result.measure and result.measure.is_ratio)
        )

    def _problem(self, problem: Problem) -> str:
        return named(field_label(problem.field, self.labels), problem.message)


BOOLEAN_CHOICES = (YES, NO)


def local_problems(draft: Draft, data: StudyExtraction, protocol: Protocol) -> list[str]:
    """The impossible values among those that could be read (the domain's checks), so that a
    save refused for an unreadable value lists everything else too."""
    labels = labels_for(protocol)
    types = {outcome.id: outcome.type for outcome in protocol.outcomes}
    lines = []
    for token, result in zip(draft.results, data.results, strict=True):
        place = result_place(draft, token, labels)
        for problem in check_result(result, outcome_type=types.get(result.outcome_id, "")):
            lines.append(f"{place}, {named(field_label(problem.field, labels), problem.message)}")
    return lines


def named(label: str, message: str) -> str:
    """ "SD: must be above 0", but a message that names its field already is left as it is."""
    return message if message.startswith(label) else f"{label}: {message}"


def field_label(name: str, labels: Labels) -> str:
    """A format field's label ("SD") for its name ("sd"); other names as they are."""
    for fields in labels.format_fields.values():
        if name in fields:
            return fields[name][0]
    return name.replace("_", " ").capitalize()


def show_derived(derived: Derived, *, ratio: bool) -> None:
    """The values an analysis will use, flagged converted or estimated, with each formula and
    its source. A ratio's log (``yi``) is shown; a difference's is the estimate itself."""
    numbers = " · ".join(
        f"{DERIVED_LABELS.get(name, name)} = {_shown(value)}"
        for name, value in derived.values.items()
        if name != "yi" or ratio
    )
    if derived.missing:
        needed = ", ".join(DERIVED_LABELS.get(m, m) for m in derived.missing)
        st.caption(f"Not enough to analyse yet: missing {escape_markdown(needed)}.")
    for warning in derived.warnings:
        st.caption(f":orange[{escape_markdown(warning)}]")
    if not numbers:
        return
    flag = (
        " :orange-badge[estimated]"  # approximate (medians to means): the analysis shows it
        if derived.estimated
        else " :blue-badge[converted]"
        if derived.steps
        else ""
    )
    st.markdown(f"Derived: {escape_markdown(numbers)}{flag}")
    for step in derived.steps:
        inputs = ", ".join(f"{k} = {_shown(v)}" for k, v in step.inputs.items())
        st.caption(escape_markdown(f"{step.formula} ({step.source}); from {inputs}"))


def _shown(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
