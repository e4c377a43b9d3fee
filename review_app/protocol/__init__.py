"""Review protocols: read, validate and store a protocol TOML file (schema version 1).

A protocol fixes the rules of a review before screening starts; ``protocols/_template.toml``
documents every key. The package:

- ``model``: the dataclasses, each field declared once with the rule its value follows, and the
  questions asked of a protocol (``Protocol.exclusion_reasons_for(stage)``);
- ``rules``: those rules (non-empty text, id, choice, list...) and the words of their messages;
- ``validation``: reads a table by its declaration and reports every problem at once in one
  :class:`ProtocolError`; each :class:`Problem` names the file, the line when it can be found,
  and a dotted key such as ``outcomes[2].type`` (list positions count from 0);
- ``lines``: the TOML line scanner that finds the line of a key;
- ``loading``: from a file or text, to and from the stored JSON.

Keyword highlighting lives with screening: :mod:`review_app.domain.screening.keywords`.
"""

from __future__ import annotations

from review_app.protocol.loading import (
    load_protocol,
    parse_protocol,
    protocol_from_dict,
    protocol_to_dict,
)
from review_app.protocol.model import (
    BOTH_STAGES,
    SUPPORTED_SCHEMA_VERSIONS,
    Criterion,
    CriterionStage,
    Direction,
    ExclusionReason,
    ExclusionStage,
    ExtractionField,
    ExtractionSettings,
    FieldType,
    Importance,
    MaybeRule,
    Outcome,
    OutcomeType,
    Pico,
    Protocol,
    ScreeningSettings,
    SearchSource,
    SourceKind,
)
from review_app.protocol.rules import ID_PATTERN, ROB_TOOLS

__all__ = [
    "BOTH_STAGES",
    "ID_PATTERN",
    "ROB_TOOLS",
    "SUPPORTED_SCHEMA_VERSIONS",
    "Criterion",
    "CriterionStage",
    "Direction",
    "ExclusionReason",
    "ExclusionStage",
    "ExtractionField",
    "ExtractionSettings",
    "FieldType",
    "Importance",
    "MaybeRule",
    "Outcome",
    "OutcomeType",
    "Pico",
    "Protocol",
    "ScreeningSettings",
    "SearchSource",
    "SourceKind",
    "load_protocol",
    "parse_protocol",
    "protocol_from_dict",
    "protocol_to_dict",
]
