"""The appraisal tools the app can run, by id, by the name a protocol gives them, and by design.

A protocol's ``[risk_of_bias]`` names a tool per design ("RoB 2", "ROBINS-I"); the names a
protocol may use are listed in ``protocol/rules.py`` (which may not import this module, so a test
checks that every name here is listed there). Only the tools registered here can be answered
question by question; a protocol naming another gets a sentence saying which are.

"ROBINS-I" keeps meaning the 2016 tool (``robins_i.py``), so that a protocol written for it is
assessed as it was; version 2 (``robins_i_v2.py``) is named "ROBINS-I V2" or "ROBINS-I version 2".

A tool may have a version for a design (RoB 2 for crossover trials, ``rob2_variants.py``): a
protocol naming "RoB 2" for its randomised trials gets the crossover version for a study whose
extracted design is crossover (:func:`tool_for_design`). Cluster-randomised trials keep plain
RoB 2 until its cluster version is written (see ``rob2_variants.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.rob2_variants import ROB2_CROSSOVER
from review_app.domain.appraisal.robins_i import ROBINS_I
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.appraisal.tool import Tool
from review_app.domain.vocabulary import StudyDesign
from review_app.errors import ValidationError

TOOLS: Mapping[str, Tool] = MappingProxyType(
    {tool.id: tool for tool in (ROB2, ROB2_CROSSOVER, ROBINS_I, ROBINS_I_V2)}
)
# Other names a protocol may give a tool, besides its own name.
_ALIASES: Mapping[str, Tool] = MappingProxyType({"ROBINS-I version 2": ROBINS_I_V2})
BY_PROTOCOL_NAME: Mapping[str, Tool] = MappingProxyType(
    {**{t.name: t for t in TOOLS.values()}, **_ALIASES}
)
# (the tool a protocol names, the study's design) -> the id of the tool's version for that design.
# A pair not listed keeps the tool named.
DESIGN_TOOLS: Mapping[tuple[str, StudyDesign], str] = MappingProxyType(
    {(ROB2.id, StudyDesign.CROSSOVER): ROB2_CROSSOVER.id}
)


def tool_by_id(tool_id: str) -> Tool:
    """The tool with this id (a key of :data:`TOOLS`), or ValidationError naming the ids there
    are."""
    tool = TOOLS.get(tool_id)
    if tool is None:
        raise ValidationError(f"tool {tool_id!r}: allowed are {', '.join(TOOLS)}")
    return tool


def tool_for_protocol_name(name: str) -> Tool:
    """The tool a protocol names ("RoB 2"), or ValidationError naming the ones that can be run."""
    tool = BY_PROTOCOL_NAME.get(name)
    if tool is None:
        runnable = ", ".join(BY_PROTOCOL_NAME)
        raise ValidationError(
            f"risk-of-bias tool {name!r} cannot be assessed here yet; the tools that can are "
            f"{runnable}"
        )
    return tool


def tool_for_design(tool: Tool, kind: StudyDesign | None) -> Tool:
    """``tool``'s version for a study of design ``kind`` (RoB 2 -> RoB 2 for crossover trials for
    a crossover study); ``tool`` itself where it has none for that design, or the design is not
    known (None)."""
    version = DESIGN_TOOLS.get((tool.id, kind)) if kind is not None else None
    return tool if version is None else TOOLS[version]
