"""The appraisal tools the app can run, by id and by the name a protocol gives them.

A protocol's ``[risk_of_bias]`` names a tool per design ("RoB 2", "ROBINS-I"); the names a
protocol may use are listed in ``protocol/rules.py``. Only the tools registered here can be
answered question by question; a protocol naming another gets a sentence saying which are.

"ROBINS-I" keeps meaning the 2016 tool (``robins_i.py``), so that a protocol written for it is
assessed as it was; version 2 (``robins_i_v2.py``) is named "ROBINS-I V2" or "ROBINS-I version 2".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.robins_i import ROBINS_I
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.appraisal.tool import Tool
from review_app.errors import ValidationError

TOOLS: Mapping[str, Tool] = MappingProxyType(
    {tool.id: tool for tool in (ROB2, ROBINS_I, ROBINS_I_V2)}
)
# Other names a protocol may give a tool, besides its own name.
_ALIASES: Mapping[str, Tool] = MappingProxyType({"ROBINS-I version 2": ROBINS_I_V2})
BY_PROTOCOL_NAME: Mapping[str, Tool] = MappingProxyType(
    {**{t.name: t for t in TOOLS.values()}, **_ALIASES}
)


def tool_by_id(tool_id: str) -> Tool:
    """The tool with this id ("rob2", "robins-i", "robins-i-v2"), or ValidationError naming the
    ids there are."""
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
