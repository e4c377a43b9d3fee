"""The tool registry: by id, by the name a protocol gives, by the study's design; and the
protocol's list of tool names agrees with it."""

from __future__ import annotations

import dataclasses

import pytest

from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.rob2_variants import ROB2_CROSSOVER
from review_app.domain.appraisal.robins_i import ROBINS_I
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.appraisal.tools import (
    BY_PROTOCOL_NAME,
    DESIGN_TOOLS,
    TOOLS,
    tool_by_id,
    tool_for_design,
    tool_for_protocol_name,
)
from review_app.domain.vocabulary import StudyDesign
from review_app.errors import ValidationError
from review_app.protocol import ROB_TOOLS


def test_every_tool_is_registered_by_its_id_and_its_name():
    assert list(TOOLS) == ["rob2", "rob2-crossover", "robins-i", "robins-i-v2"]
    for tool_id, tool in TOOLS.items():
        assert tool.id == tool_id and tool_by_id(tool_id) is tool
        assert tool_for_protocol_name(tool.name) is tool
    assert tool_for_protocol_name("RoB 2 (crossover)") is ROB2_CROSSOVER
    assert tool_for_protocol_name("ROBINS-I version 2") is ROBINS_I_V2


def test_an_unknown_id_or_name_is_refused_with_those_there_are():
    with pytest.raises(ValidationError) as error:
        tool_by_id("rob3")
    assert str(error.value) == f"tool 'rob3': allowed are {', '.join(TOOLS)}"
    with pytest.raises(ValidationError) as error:
        tool_for_protocol_name("RoB 2 (cluster)")
    assert "cannot be assessed here yet" in str(error.value)
    assert all(name in str(error.value) for name in BY_PROTOCOL_NAME)


def test_every_name_the_registry_runs_is_one_a_protocol_may_give():
    """protocol/rules.py may not import the registry, so its list is kept by hand: this keeps
    it honest (it also lists tools that are named but not yet assessed here, as RoB 1)."""
    assert set(BY_PROTOCOL_NAME) <= set(ROB_TOOLS), set(BY_PROTOCOL_NAME) - set(ROB_TOOLS)


@pytest.mark.parametrize(
    ("named", "kind", "expected"),
    [
        (ROB2, StudyDesign.CROSSOVER, ROB2_CROSSOVER),
        (ROB2, StudyDesign.PARALLEL, ROB2),
        (ROB2, StudyDesign.CLUSTER, ROB2),  # no cluster version yet: rob2_variants.py says why
        (ROB2, None, ROB2),
        (ROB2_CROSSOVER, StudyDesign.PARALLEL, ROB2_CROSSOVER),  # a protocol naming it keeps it
        (ROBINS_I, StudyDesign.CROSSOVER, ROBINS_I),
        (ROBINS_I_V2, StudyDesign.CLUSTER, ROBINS_I_V2),
    ],
)
def test_the_design_picks_the_tool_s_version_for_it(named, kind, expected):
    assert tool_for_design(named, kind) is expected


def test_a_tool_without_a_version_for_the_design_is_kept_as_given():
    """A tool with the team's official wording loaded stays that tool, not the registry's."""
    worded = dataclasses.replace(ROB2, citation="with the team's wording")
    assert tool_for_design(worded, StudyDesign.PARALLEL) is worded
    assert tool_for_design(worded, StudyDesign.CROSSOVER) is ROB2_CROSSOVER


def test_the_design_versions_are_registered_tools_of_each_design():
    for (tool_id, kind), version in DESIGN_TOOLS.items():
        assert tool_id in TOOLS and version in TOOLS and kind in StudyDesign
        assert tool_for_design(TOOLS[tool_id], kind) is TOOLS[version]
    assert DESIGN_TOOLS[("rob2", StudyDesign.CROSSOVER)] == "rob2-crossover"
