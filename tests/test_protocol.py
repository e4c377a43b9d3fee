"""Protocol files: the shipped ones load, bad ones are reported in full, storage round-trips."""

from __future__ import annotations

import ast
import copy
import json
import tomllib
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review_app.domain.vocabulary import EffectMeasure, Stage
from review_app.domain.vocabulary import PoolingMethod as Method
from review_app.errors import ProtocolError
from review_app.protocol import (
    ROB_TOOLS,
    Criterion,
    ExclusionReason,
    ExtractionField,
    ExtractionSettings,
    FieldType,
    Outcome,
    Pico,
    Protocol,
    ScreeningSettings,
    SearchSource,
    load_protocol,
    parse_protocol,
    protocol_from_dict,
    protocol_to_dict,
)
from review_app.protocol.model import AnalysisSettings, AppraisalSettings

ROOT = Path(__file__).resolve().parents[1]
KRATOM = ROOT / "protocols" / "kratom-neuropathic-pain.toml"
TEMPLATE = ROOT / "protocols" / "_template.toml"
FIXTURES = Path(__file__).parent / "data" / "protocols"


@pytest.fixture(scope="module")
def kratom() -> Protocol:
    return load_protocol(KRATOM)


def problems_of(call: Any, *args: Any, **kwargs: Any) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        call(*args, **kwargs)
    return caught.value


def fields_of(error: ProtocolError) -> list[str | None]:
    return [p.field for p in error.problems]


def kratom_dict() -> dict[str, Any]:
    return protocol_to_dict(load_protocol(KRATOM))


# ----------------------------------------------------------------------------- shipped files


def test_kratom_protocol_loads(kratom: Protocol) -> None:
    assert "kratom" in kratom.question.lower()
    assert kratom.designs == ["randomised controlled trial", "non-randomised controlled study"]
    assert kratom.risk_of_bias == {
        "randomised controlled trial": "RoB 2",
        "non-randomised controlled study": "ROBINS-I",
    }
    assert kratom.screening == ScreeningSettings(
        reviewers_per_record=2, blind=True, allow_maybe=True, maybe_counts_as="include"
    )
    assert kratom.extraction == ExtractionSettings(extractors_per_study=2, blind=True)
    assert kratom.appraisal == AppraisalSettings(assessors_per_study=2, blind=True)


def test_kratom_outcomes_follow_the_protocol(kratom: Protocol) -> None:
    by_id = {o.id: o for o in kratom.outcomes}
    pain = by_id["pain_intensity"]
    assert (pain.type, pain.importance, pain.direction, pain.mid) == (
        "continuous",
        "critical",
        "lower_is_better",
        1.0,
    )
    critical = {o.id for o in kratom.outcomes if o.importance == "critical"}
    assert critical == {
        "pain_intensity",
        "pain_relief_30",
        "pain_relief_50",
        "serious_adverse_events",
        "dependence_withdrawal",
    }
    assert by_id["pain_relief_50"].direction == "higher_is_better"
    assert by_id["withdrawals_adverse_events"].importance == "important"


def test_kratom_search_sources(kratom: Protocol) -> None:
    kinds = {s.name: s.kind for s in kratom.search_sources}
    assert kinds["ClinicalTrials.gov"] == kinds["WHO ICTRP"] == "register"
    assert {"PubMed", "Embase", "CENTRAL", "CINAHL"} <= {
        n for n, k in kinds.items() if k == "database"
    }
    assert all(s.strategy.strip() for s in kratom.search_sources)
    assert all(s.date_searched is None for s in kratom.search_sources)  # not searched yet


def test_kratom_exclusion_reasons_are_ordered(kratom: Protocol) -> None:
    ids = [r.id for r in kratom.exclusion_reasons]
    assert ids[0] == "duplicate"
    assert ids[-1] == "full_text_unavailable"
    assert ids.index("wrong_population") < ids.index("wrong_outcomes")


def test_exclusion_reasons_for_a_stage(kratom: Protocol) -> None:
    at_full_text = kratom.exclusion_reasons_for(Stage.FULL_TEXT)
    assert at_full_text == kratom.exclusion_reasons  # every reason, in protocol order
    at_title_abstract = kratom.exclusion_reasons_for(Stage.TITLE_ABSTRACT)
    assert at_title_abstract == [r for r in kratom.exclusion_reasons if r.stage == "both"]
    assert 0 < len(at_title_abstract) < len(at_full_text)
    assert "full_text_unavailable" not in {r.id for r in at_title_abstract}
    assert kratom.exclusion_reasons_for("title_abstract") == at_title_abstract


def test_criteria_for_a_stage(kratom: Protocol) -> None:
    at_title_abstract = kratom.criteria_for(Stage.TITLE_ABSTRACT)
    assert {c.stage for c in at_title_abstract} <= {Stage.TITLE_ABSTRACT, "both"}
    assert [c for c in kratom.criteria if c not in at_title_abstract] == [
        c for c in kratom.criteria if c.stage == Stage.FULL_TEXT
    ]
    assert all(c.stage is Stage.FULL_TEXT for c in kratom.criteria if c.stage == "full_text")


def test_template_loads() -> None:
    protocol = load_protocol(TEMPLATE)
    assert protocol.schema_version == 1
    assert protocol.search_sources[0].date_searched == date(2025, 1, 31)


def test_template_shows_every_key() -> None:
    data = tomllib.loads(TEMPLATE.read_text(encoding="utf-8"))
    tables: list[tuple[type, dict[str, Any]]] = [
        (Protocol, data),
        (Pico, data["pico"]),
        (Criterion, data["criteria"][0]),
        (ExclusionReason, data["exclusion_reasons"][0]),
        (ScreeningSettings, data["screening"]),
        (Outcome, data["outcomes"][0]),
        (AnalysisSettings, data["outcomes"][0]["analysis"]),
        (ExtractionField, data["extraction_fields"][0]),
        (ExtractionSettings, data["extraction"]),
        (AppraisalSettings, data["appraisal"]),
        (SearchSource, data["search_sources"][0]),
    ]
    for cls, table in tables:
        assert set(table) == {f.name for f in fields(cls)}, cls.__name__


@pytest.mark.parametrize("path", [KRATOM, TEMPLATE], ids=["kratom", "template"])
def test_round_trip_through_json(path: Path) -> None:
    protocol = load_protocol(path)
    stored = json.loads(json.dumps(protocol_to_dict(protocol)))
    assert protocol_from_dict(stored) == protocol


def test_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    copy_with_bom = tmp_path / "bom.toml"
    copy_with_bom.write_bytes(b"\xef\xbb\xbf" + KRATOM.read_bytes())
    assert load_protocol(copy_with_bom) == load_protocol(KRATOM)


# ----------------------------------------------------------------------------- broken files


def test_every_fault_is_named() -> None:
    path = FIXTURES / "several_faults.toml"
    error = problems_of(load_protocol, path)
    assert sorted(map(str, fields_of(error))) == sorted(
        [
            "registration",  # unknown top-level key
            "question",  # missing
            "criteria[0].stage",  # not an allowed stage
            "criteria[1].id",  # duplicate id
            "exclusion_reasons",  # empty list
            "screening.reviewers_per_record",  # 0
            "screening.blind",  # "yes" in quotes
            "screening.alow_maybe",  # typo
            "outcomes[0].mid",  # negative
            "outcomes[1].type",  # "binary"
            "outcomes[2].importance",  # missing
            "extraction_fields[0].choices",  # choice without choices
            'risk_of_bias."randomised controlled trial"',  # unknown tool
            "search_sources[0].date_searched",  # 2024-13-45
        ]
    )
    assert {p.source for p in error.problems} == {str(path)}
    lines = {p.field: p.line for p in error.problems}
    assert lines["outcomes[1].type"] == 40
    assert lines["screening.alow_maybe"] == 26
    assert lines["question"] is None  # missing keys have no line


def test_messages_say_what_is_allowed() -> None:
    error = problems_of(load_protocol, FIXTURES / "several_faults.toml")
    message = {p.field: p.message for p in error.problems}
    assert "'continuous', 'dichotomous'" in message["outcomes[1].type"]
    assert "did you mean 'allow_maybe'" in message["screening.alow_maybe"]
    assert "allowed keys: reviewers_per_record, blind" in message["screening.alow_maybe"]
    assert "'RoB 2'" in message['risk_of_bias."randomised controlled trial"']
    assert "2025-01-31" in message["search_sources[0].date_searched"]
    assert "positive" in message["outcomes[0].mid"]
    assert "several_faults.toml, line 40, outcomes[1].type" in str(error)


def test_syntax_error_names_the_line() -> None:
    error = problems_of(load_protocol, FIXTURES / "syntax_error.toml")
    [problem] = error.problems
    assert problem.line == 5
    assert problem.message.startswith("TOML syntax error")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    [problem] = problems_of(load_protocol, missing).problems
    assert problem.source == str(missing)
    assert "cannot read" in problem.message


def test_directory_is_not_a_protocol(tmp_path: Path) -> None:
    [problem] = problems_of(load_protocol, tmp_path).problems
    assert "cannot read" in problem.message


def test_file_that_is_not_utf8() -> None:
    [problem] = problems_of(load_protocol, FIXTURES / "not_utf8.toml").problems
    assert (problem.line, "UTF-8" in problem.message) == (3, True)


def test_unknown_schema_version_names_supported_versions() -> None:
    [problem] = problems_of(load_protocol, FIXTURES / "unknown_version.toml").problems
    assert problem.field == "schema_version"
    assert problem.line == 1
    assert "supported versions: 1" in problem.message


@pytest.mark.parametrize("version", ['"1"', "true", "1.0"])
def test_schema_version_must_be_a_whole_number(version: str) -> None:
    [problem] = problems_of(parse_protocol, f"schema_version = {version}", source="p.toml").problems
    assert problem.field == "schema_version"


def test_top_level_key_after_a_table_gets_a_hint() -> None:
    text = KRATOM.read_text(encoding="utf-8").replace(
        'outcomes = """Critical', 'title = "again"\noutcomes = """Critical', 1
    )
    error = problems_of(parse_protocol, text, source="k.toml")
    [problem] = error.problems
    assert problem.field == "pico.title"
    assert "move it above the first [table] header" in problem.message


def test_designs_and_tools_must_match() -> None:
    data = kratom_dict()
    data["designs"].append("cohort study")
    data["risk_of_bias"]["case series"] = "JBI"
    error = problems_of(protocol_from_dict, data)
    assert fields_of(error) == ["risk_of_bias", 'risk_of_bias."case series"']
    assert all(p.line is None for p in error.problems)  # no text to point into


def test_mid_needs_a_unit_and_choices_need_a_choice_field() -> None:
    data = kratom_dict()
    data["outcomes"][0]["mid_unit"] = " "
    data["extraction_fields"][0]["choices"] = ["a", "b"]
    data["extraction_fields"][3]["choices"].append("Outpatient")  # repeat, ignoring case
    error = problems_of(protocol_from_dict, data)
    assert sorted(map(str, fields_of(error))) == [
        "extraction_fields[0].choices",
        "extraction_fields[3].choices[5]",
        "outcomes[0].mid_unit",
    ]


def test_an_outcome_is_pooled_with_a_measure_of_its_type() -> None:
    data = kratom_dict()
    data["outcomes"][0]["analysis"] = {"measure": "RR"}  # outcome 0 is continuous
    assert fields_of(problems_of(protocol_from_dict, data)) == ["outcomes[0].analysis.measure"]
    data["outcomes"][0]["analysis"] = {"method": "Bayes", "hksj": "yes"}
    assert sorted(map(str, fields_of(problems_of(protocol_from_dict, data)))) == [
        "outcomes[0].analysis.hksj",
        "outcomes[0].analysis.method",
    ]


def test_analysis_defaults_follow_the_outcome_type() -> None:
    kratom = load_protocol(KRATOM)
    by_type = {outcome.type: outcome for outcome in kratom.outcomes}
    assert by_type["continuous"].default_measure is EffectMeasure.MD
    assert by_type["dichotomous"].default_measure is EffectMeasure.RR
    assert by_type["continuous"].analysis == AnalysisSettings()
    assert AnalysisSettings().method is Method.REML and AnalysisSettings().hksj


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("screening", [], "screening"),
        ("criteria", {"id": "x"}, "criteria"),
        ("designs", ["rct", 3], "designs[1]"),
        ("designs", ["  "], "designs[0]"),
        ("title", None, "title"),
    ],
)
def test_wrong_types_are_named(key: str, value: object, field: str) -> None:
    data = kratom_dict()
    data[key] = value
    assert field in fields_of(problems_of(protocol_from_dict, data))


@pytest.mark.parametrize("mid", [0, -1, 10**400, float("inf"), float("nan"), "1"])
def test_mid_must_be_a_positive_finite_number(mid: object) -> None:
    data = kratom_dict()
    data["outcomes"][0]["mid"] = mid
    [problem] = problems_of(protocol_from_dict, data).problems
    assert problem.field == "outcomes[0].mid"
    assert "positive number" in problem.message


def test_ids_are_short_words() -> None:
    data = kratom_dict()
    data["outcomes"][0]["id"] = "pain intensity"
    [problem] = problems_of(protocol_from_dict, data).problems
    assert problem.field == "outcomes[0].id"


def test_dates_as_text_or_toml_dates() -> None:
    data = kratom_dict()
    data["search_sources"][0]["date_searched"] = "2025-02-28"
    protocol = protocol_from_dict(data)
    assert protocol.search_sources[0].date_searched == date(2025, 2, 28)
    data["search_sources"][0]["date_searched"] = datetime(2025, 2, 28, 9, 30)
    [problem] = problems_of(protocol_from_dict, data).problems
    assert problem.field == "search_sources[0].date_searched"


def test_extraction_settings_default_to_two_blind_extractors() -> None:
    data = kratom_dict()
    del data["extraction"]  # also how a protocol stored before the key existed reads back
    assert protocol_from_dict(data).extraction == ExtractionSettings(
        extractors_per_study=2, blind=True
    )
    data["extraction"] = {"extractors_per_study": 1}
    assert protocol_from_dict(data).extraction == ExtractionSettings(
        extractors_per_study=1, blind=True
    )


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("extractors_per_study", 0, "whole number of at least 1"),
        ("extractors_per_study", 1.5, "whole number of at least 1"),
        ("extractors_per_study", "2", "whole number of at least 1"),
        ("extractors_per_study", True, "whole number of at least 1"),
        ("blind", "yes", "true or false"),
        ("extractor_per_study", 2, "did you mean 'extractors_per_study'"),
    ],
)
def test_extraction_settings_name_what_is_allowed(key: str, value: object, allowed: str) -> None:
    data = kratom_dict()
    data["extraction"] = {key: value}
    [problem] = problems_of(protocol_from_dict, data).problems
    assert problem.field == f"extraction.{key}"
    assert allowed in problem.message


def test_appraisal_settings_default_to_two_blind_assessors() -> None:
    data = kratom_dict()
    del data["appraisal"]  # also how a protocol stored before the key existed reads back
    assert protocol_from_dict(data).appraisal == AppraisalSettings(
        assessors_per_study=2, blind=True
    )
    data["appraisal"] = {"assessors_per_study": 1, "blind": False}
    assert protocol_from_dict(data).appraisal == AppraisalSettings(
        assessors_per_study=1, blind=False
    )


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("assessors_per_study", 0, "whole number of at least 1"),
        ("assessors_per_study", 2.5, "whole number of at least 1"),
        ("assessors_per_study", "2", "whole number of at least 1"),
        ("blind", "no", "true or false"),
        ("assessor_per_study", 2, "did you mean 'assessors_per_study'"),
    ],
)
def test_appraisal_settings_name_what_is_allowed(key: str, value: object, allowed: str) -> None:
    data = kratom_dict()
    data["appraisal"] = {key: value}
    [problem] = problems_of(protocol_from_dict, data).problems
    assert problem.field == f"appraisal.{key}"
    assert allowed in problem.message


def test_extraction_settings_name_their_line_in_the_file() -> None:
    text = KRATOM.read_text(encoding="utf-8").replace(
        "extractors_per_study = 2", "extractors_per_study = 0", 1
    )
    [problem] = problems_of(parse_protocol, text, source="k.toml").problems
    assert problem.field == "extraction.extractors_per_study"
    assert problem.line == text.splitlines().index("extractors_per_study = 0") + 1


def test_not_a_table_at_all() -> None:
    not_a_table: Any = ["not", "a", "table"]
    assert problems_of(protocol_from_dict, not_a_table).problems


# ----------------------------------------------------------------------------- properties

texts = st.text(min_size=1, max_size=20).filter(str.strip)
any_texts = st.text(max_size=20)
ids = st.text("abcxyz0189_.-", min_size=1, max_size=10).filter(lambda s: s[0].isalnum())


def unique_texts(min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(texts, min_size=min_size, max_size=3, unique_by=lambda s: s.strip().casefold())


words = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8)
keywords = st.lists(
    st.tuples(words, st.sampled_from(["", "*", " in vitro"])).map("".join), max_size=3
)


@st.composite
def outcomes(draw: st.DrawFn, outcome_id: str) -> Outcome:
    mid = draw(st.none() | st.floats(min_value=1e-6, max_value=1e6))
    return Outcome(
        id=outcome_id,
        name=draw(texts),
        type=draw(st.sampled_from(["continuous", "dichotomous"])),
        importance=draw(st.sampled_from(["critical", "important", "not_important"])),
        direction=draw(st.sampled_from(["higher_is_better", "lower_is_better"])),
        mid=mid,
        mid_unit=draw(texts if mid is not None else any_texts),
        unit=draw(any_texts),
        description=draw(any_texts),
    )


@st.composite
def extraction_fields(draw: st.DrawFn, field_id: str) -> ExtractionField:
    kind = draw(st.sampled_from(get_args(FieldType)))
    return ExtractionField(
        id=field_id,
        label=draw(texts),
        type=kind,
        choices=draw(unique_texts(min_size=1)) if kind == "choice" else [],
        required=draw(st.booleans()),
        help=draw(any_texts),
    )


def criteria(criterion_id: str) -> st.SearchStrategy[Criterion]:
    return st.builds(
        Criterion,
        id=st.just(criterion_id),
        text=texts,
        stage=st.sampled_from(["title_abstract", "full_text", "both"]),
        include_keywords=keywords,
        exclude_keywords=keywords,
    )


def reasons(reason_id: str) -> st.SearchStrategy[ExclusionReason]:
    return st.builds(
        ExclusionReason,
        id=st.just(reason_id),
        label=texts,
        stage=st.sampled_from(["full_text", "both"]),
    )


def sources(name: str) -> st.SearchStrategy[SearchSource]:
    return st.builds(
        SearchSource,
        name=st.just(name),
        kind=st.sampled_from(["database", "register", "other"]),
        date_searched=st.none() | st.dates(),
        platform=any_texts,
        strategy=any_texts,
    )


def several(make: Any, names: st.SearchStrategy[str], min_size: int = 1) -> Any:
    unique = st.lists(names, min_size=min_size, max_size=3, unique_by=lambda s: s.casefold())
    return unique.flatmap(lambda chosen: st.tuples(*(make(n) for n in chosen)).map(list))


picos = st.builds(
    Pico,
    population=texts,
    intervention=texts,
    comparator=texts,
    outcomes=texts,
    conditions=unique_texts(),
    interventions=unique_texts(),
    comparators=unique_texts(),
)


@st.composite
def protocols(draw: st.DrawFn) -> Protocol:
    designs = draw(unique_texts(min_size=1))
    return Protocol(
        title=draw(texts),
        question=draw(texts),
        pico=draw(picos),
        designs=designs,
        criteria=draw(several(criteria, ids)),
        exclusion_reasons=draw(several(reasons, ids)),
        screening=draw(
            st.builds(
                ScreeningSettings,
                reviewers_per_record=st.integers(1, 5),
                blind=st.booleans(),
                allow_maybe=st.booleans(),
                maybe_counts_as=st.sampled_from(["include", "conflict"]),
            )
        ),
        outcomes=draw(several(outcomes, ids)),
        extraction_fields=draw(several(extraction_fields, ids, min_size=0)),
        extraction=draw(
            st.builds(
                ExtractionSettings,
                extractors_per_study=st.integers(1, 5),
                blind=st.booleans(),
            )
        ),
        appraisal=draw(
            st.builds(
                AppraisalSettings,
                assessors_per_study=st.integers(1, 5),
                blind=st.booleans(),
            )
        ),
        risk_of_bias={d: draw(st.sampled_from(ROB_TOOLS)) for d in designs},
        search_sources=draw(several(sources, texts)),
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(protocols())
def test_dict_round_trip(protocol: Protocol) -> None:
    stored = json.loads(json.dumps(protocol_to_dict(protocol)))
    assert protocol_from_dict(stored) == protocol


KRATOM_LINES = KRATOM.read_text(encoding="utf-8").splitlines()
TOML_BITS = ["[", "]", "[[", "]]", "=", '"', "'''", '"""', "#", ",", "{", "}", "\n", "1", "-"]
tomlish = st.lists(st.sampled_from(KRATOM_LINES) | st.sampled_from(TOML_BITS) | st.text(max_size=8))


@settings(max_examples=300)
@given(tomlish.map("\n".join))
def test_parse_raises_only_protocol_errors(text: str) -> None:
    try:
        parse_protocol(text, source="fuzz.toml")
    except ProtocolError as error:
        assert error.problems
        assert all(p.source == "fuzz.toml" and p.message for p in error.problems)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10) | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


@st.composite
def mutated_kratom(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(KRATOM_DICT)
    node: Any = data
    while True:
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        node[key] = draw(json_values)
        return data


KRATOM_DICT = protocol_to_dict(load_protocol(KRATOM))


@settings(max_examples=300)
@given(mutated_kratom())
def test_stored_protocol_raises_only_protocol_errors(data: dict[str, Any]) -> None:
    try:
        protocol_from_dict(data)
    except ProtocolError as error:
        assert error.problems
        assert all(isinstance(p.field, str | None) and p.message for p in error.problems)


# ----------------------------------------------------------------------------- layering


def test_the_protocol_imports_only_the_vocabulary_from_the_domain() -> None:
    """The protocol sits with the models at the bottom: of the app it reads only the vocabulary
    and the errors (keyword matching lives in domain/screening)."""
    package = ROOT / "review_app" / "protocol"
    allowed = {"review_app.errors", "review_app.domain.vocabulary"}
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        ours = {name for name in imported if name.startswith("review_app")}
        outside = {name for name in ours if not name.startswith("review_app.protocol")}
        assert outside <= allowed, f"{path.name} imports {sorted(outside - allowed)}"
