"""ROBINS-I V2: every path through every domain algorithm against the three public transcriptions
of the official flowcharts (20 November 2025), the agreement rule, triage, conditional questions,
the overall rule, and `rob judge --tool robins-i-v2`.

The tables below are written from the transcriptions, not from the module: "C" the Mermaid
diagrams of InfinityBowman/corates (scoring/decision-diagrams/domain-*.md), "W" the graphs of
Michelle-Watson/robins-i-tool (components/domain-trees/Domain*Graph.tsx), "M" the decision trees
of the "ROBINS-I V2 sharable methodology reference". A source states a judgement for an answer
set when one of its rows matches; it is silent when none does (an answer its flowchart does not
route). The module must propose what every stating source says when at least two state it, and
nothing (the assessor judges) otherwise.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from review_app.cli import app
from review_app.domain.appraisal import robins_i_v2 as v2
from review_app.domain.appraisal.judge import judge
from review_app.domain.appraisal.tool import (
    PROCEED,
    Answer,
    Domain,
    asked,
    check_answers,
    overall,
    propose,
)
from review_app.domain.appraisal.tools import TOOLS, tool_by_id, tool_for_protocol_name
from review_app.errors import ProblemsError, ReviewAppError

LOW, LOW_EX, MOD, SER, CRIT = "Low", v2.LOW_EXCEPT_CONFOUNDING, "Moderate", "Serious", "Critical"
Row = tuple[dict[str, str], str]
Tables = Mapping[str, Sequence[Row]]  # source -> rows

# ---------------------------------------------------------------- Domain 1, Variant A (ITT)
D1A: Tables = {
    "C": [
        ({"1.1": "Y/PY", "1.3": "Y/PY", "1.4": "N/PN"}, SER),
        ({"1.1": "Y/PY", "1.3": "Y/PY", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "N/PN"}, LOW_EX),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "Y/PY"}, MOD),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "SN/NI"}, SER),
        ({"1.1": "WN", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "N/PN"}, LOW_EX),
        ({"1.1": "WN", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "Y/PY"}, MOD),
        ({"1.1": "WN", "1.3": "N/PN/NI", "1.2": "SN/NI"}, SER),
        ({"1.1": "WN", "1.3": "Y/PY", "1.4": "N/PN"}, SER),
        ({"1.1": "WN", "1.3": "Y/PY", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "SN/NI", "1.4": "N/PN"}, SER),
        ({"1.1": "SN/NI", "1.4": "Y/PY"}, CRIT),
    ],
    "W": [
        ({"1.1": "Y/PY", "1.3": "Y/PY", "1.4": "N/PN"}, LOW_EX),
        ({"1.1": "Y/PY", "1.3": "Y/PY", "1.4": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "N/PN"}, LOW_EX),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "SN/NI"}, SER),
        ({"1.1": "WN", "1.3": "any", "1.2": "Y/PY/WN", "1.4": "N/PN"}, MOD),
        ({"1.1": "WN", "1.3": "any", "1.2": "Y/PY/WN", "1.4": "Y/PY"}, SER),
        ({"1.1": "WN", "1.3": "any", "1.2": "SN/NI"}, SER),
        ({"1.1": "SN/NI", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "SN/NI", "1.4": "N/PN", "1.2": "Y/PY"}, SER),
        ({"1.1": "SN/NI", "1.4": "N/PN", "1.2": "WN/SN/NI"}, CRIT),
    ],
    "M": [
        ({"1.1": "SN/NI", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "SN/NI", "1.4": "N/PN"}, SER),
        ({"1.1": "Y/PY/WN", "1.3": "Y/PY", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "Y/PY/WN", "1.3": "Y/PY", "1.4": "N/PN", "1.2": "Y/PY"}, SER),
        ({"1.1": "Y/PY/WN", "1.3": "Y/PY", "1.4": "N/PN", "1.2": "WN/SN/NI"}, CRIT),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "N/PN"}, LOW_EX),
        ({"1.1": "WN", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "Y/PY"}, SER),
        ({"1.1": "WN", "1.3": "N/PN/NI", "1.2": "Y/PY/WN", "1.4": "N/PN"}, MOD),
        ({"1.1": "Y/PY/WN", "1.3": "N/PN/NI", "1.2": "SN/NI"}, SER),
    ],
}

# ------------------------------------------------- Domain 1, Variant B (starting and adhering)
D1B: Tables = {
    "C": [
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "Y/PY", "1.5": "N/PN"}, LOW),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "Y/PY", "1.5": "Y/PY"}, MOD),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "WN", "1.5": "N/PN"}, LOW_EX),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "WN", "1.5": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "SN/NI"}, SER),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "Y/PY/WN", "1.5": "N/PN"}, LOW_EX),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "Y/PY/WN", "1.5": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "SN/NI"}, SER),
        ({"1.1": "Y/PY", "1.2": "SN/NI"}, SER),
        ({"1.1": "N/PN/NI", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "N/PN/NI", "1.4": "N/PN/NI", "1.5": "N/PN"}, SER),
        ({"1.1": "N/PN/NI", "1.4": "N/PN/NI", "1.5": "Y/PY"}, CRIT),
    ],
    "W": [  # 1.3 WN after 1.2 Y/PY is not routed
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "Y/PY", "1.5": "N/PN"}, LOW),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "Y/PY", "1.5": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "SN/NI", "1.5": "N/PN"}, SER),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "SN/NI", "1.5": "Y/PY"}, CRIT),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "Y/PY/WN", "1.5": "N/PN"}, LOW_EX),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "Y/PY/WN", "1.5": "Y/PY"}, MOD),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "SN/NI", "1.5": "N/PN"}, SER),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "SN/NI", "1.5": "Y/PY"}, CRIT),
        ({"1.1": "Y/PY", "1.2": "SN/NI", "1.5": "N/PN"}, SER),
        ({"1.1": "Y/PY", "1.2": "SN/NI", "1.5": "Y/PY"}, CRIT),
        ({"1.1": "N/PN/NI", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "N/PN/NI", "1.4": "N/PN/NI", "1.5": "N/PN"}, SER),
        ({"1.1": "N/PN/NI", "1.4": "N/PN/NI", "1.5": "Y/PY"}, CRIT),
    ],
    "M": [
        ({"1.1": "N/PN/NI", "1.4": "Y/PY"}, CRIT),
        ({"1.1": "N/PN/NI", "1.4": "N/PN/NI", "1.5": "Y/PY"}, CRIT),
        ({"1.1": "N/PN/NI", "1.4": "N/PN/NI", "1.5": "N/PN"}, SER),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "Y/PY/WN", "1.5": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "Y/PY/WN", "1.5": "N/PN"}, LOW_EX),
        ({"1.1": "Y/PY", "1.2": "Y/PY", "1.3": "SN/NI"}, SER),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "Y/PY/WN", "1.5": "Y/PY"}, SER),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "Y/PY/WN", "1.5": "N/PN"}, MOD),
        ({"1.1": "Y/PY", "1.2": "WN", "1.3": "SN/NI"}, SER),
        ({"1.1": "Y/PY", "1.2": "SN/NI", "1.5": "Y/PY"}, CRIT),
        ({"1.1": "Y/PY", "1.2": "SN/NI", "1.5": "N/PN"}, SER),
    ],
}


# ------------------------------------------------------------- Domain 2, classification
def _d2_rows(start: dict[str, str], cells: Sequence[tuple[str, str, str]]) -> list[Row]:
    """Rows for one row of 2.4/2.5 boxes: (2.4 answers, 2.5 answers, judgement) after ``start``."""
    return [({**start, "2.4": a24, "2.5": a25}, judgement) for a24, a25, judgement in cells]


CLEAR = ({"2.1": "Y/PY"}, {"2.1": "N/PN/NI", "2.2": "Y/PY"})
C_TOP = [("N/PN", "N/PN", LOW), ("N/PN", "Y/PY/NI", MOD), ("WY/NI", "N/PN", MOD),
         ("WY/NI", "Y/PY/NI", SER), ("SY", "N/PN", SER), ("SY", "Y/PY/NI", CRIT)]  # fmt: skip
W_TOP = [("N/PN", "N/PN", LOW), ("N/PN", "Y/PY/NI", MOD), ("WY/NI", "N/PN", MOD),
         ("WY/NI", "Y/PY/NI", SER), ("SY", "any", CRIT)]  # fmt: skip
M_TOP = C_TOP  # tier 0 plus the 2.4 and 2.5 steps
BOTTOM = [("N/PN", "N/PN", SER), ("N/PN", "Y/PY/NI", CRIT), ("SY/WY/NI", "any", CRIT)]
D2: Tables = {
    "C": [
        *(row for start in CLEAR for row in _d2_rows(start, C_TOP)),
        *_d2_rows(
            {"2.1": "N/PN/NI", "2.2": "N/PN/NI", "2.3": "SY/WY/NI"},
            [
                ("N/PN", "N/PN", MOD),
                ("N/PN", "Y/PY/NI", SER),
                ("SY", "N/PN", SER),
                ("SY", "Y/PY/NI", CRIT),
            ],
        ),  # 2.4 WY/NI is not routed here
        *_d2_rows({"2.1": "N/PN/NI", "2.2": "N/PN/NI", "2.3": "N/PN"}, BOTTOM),
    ],
    "W": [
        *(row for start in CLEAR for row in _d2_rows(start, W_TOP)),
        *_d2_rows(  # 2.3 SY is not routed
            {"2.1": "N/PN/NI", "2.2": "N/PN/NI", "2.3": "WY/NI"},
            [
                ("N/PN", "N/PN", MOD),
                ("N/PN", "Y/PY/NI", SER),
                ("WY/NI", "N/PN", SER),
                ("WY/NI", "Y/PY/NI", CRIT),
                ("SY", "any", CRIT),
            ],
        ),
        *_d2_rows({"2.1": "N/PN/NI", "2.2": "N/PN/NI", "2.3": "N/PN"}, BOTTOM),
    ],
    "M": [
        *(row for start in CLEAR for row in _d2_rows(start, M_TOP)),
        *_d2_rows(  # tier 1 plus the steps, capped at Critical
            {"2.1": "N/PN/NI", "2.2": "N/PN/NI", "2.3": "SY/WY/NI"},
            [
                ("N/PN", "N/PN", MOD),
                ("N/PN", "Y/PY/NI", SER),
                ("WY/NI", "N/PN", SER),
                ("WY/NI", "Y/PY/NI", CRIT),
                ("SY", "any", CRIT),
            ],
        ),
        *_d2_rows({"2.1": "N/PN/NI", "2.2": "N/PN/NI", "2.3": "N/PN"}, BOTTOM),
    ],
}

# ------------------------------------------------------------- Domain 3, selection
# Each source in parts: A (3.1-3.2), B (3.3-3.5), each Low, Moderate or Serious; all three
# combine them alike: the worse of A and B, and a Serious one through 3.6-3.8.
# (W labels the Serious branch of 3.1 "SY", its only answer besides Y/PY and WN/NI: SN.)
D3_A = [({"3.1": "Y/PY", "3.2": "N/PN/NI"}, LOW), ({"3.1": "Y/PY", "3.2": "Y/PY"}, MOD),
        ({"3.1": "WN/NI"}, MOD), ({"3.1": "SN"}, SER)]  # fmt: skip
D3_B_CW = [({"3.3": "N/PN"}, LOW), ({"3.3": "NI"}, MOD), ({"3.3": "Y/PY", "3.4": "N/PN"}, LOW),
           ({"3.3": "Y/PY", "3.4": "NI"}, MOD),
           ({"3.3": "Y/PY", "3.4": "Y/PY", "3.5": "Y/PY"}, SER),
           ({"3.3": "Y/PY", "3.4": "Y/PY", "3.5": "N/PN/NI"}, MOD)]  # fmt: skip
D3_B_M = [({"3.3": "N/PN"}, LOW), ({"3.3": "NI"}, MOD), ({"3.3": "Y/PY", "3.4": "N/PN/NI"}, LOW),
          ({"3.3": "Y/PY", "3.4": "Y/PY", "3.5": "Y/PY"}, SER),
          ({"3.3": "Y/PY", "3.4": "Y/PY", "3.5": "N/PN/NI"}, MOD)]  # fmt: skip
D3_PARTS = {"C": (D3_A, D3_B_CW), "W": (D3_A, D3_B_CW), "M": (D3_A, D3_B_M)}
D3_CORRECTION = [({"3.6": "Y/PY"}, MOD), ({"3.6": "N/PN/NI", "3.7": "Y/PY"}, MOD),
                 ({"3.6": "N/PN/NI", "3.7": "N/PN/NI", "3.8": "Y/PY"}, CRIT),
                 ({"3.6": "N/PN/NI", "3.7": "N/PN/NI", "3.8": "N/PN/NI"}, SER)]  # fmt: skip

# ------------------------------------------------------------- Domain 4, missing data
DONE = {"4.1-4.3": "not all Y/PY"}
CC = {**DONE, "4.4": "Y/PY/NI"}
IMP = {**DONE, "4.4": "N/PN", "4.7": "Y/PY"}
ALT = {**DONE, "4.4": "N/PN", "4.7": "N/PN/NI"}


def _by_411(start: dict[str, str], if_yes: str, if_no: str) -> list[Row]:
    return [({**start, "4.11": "Y/PY"}, if_yes), ({**start, "4.11": "N/PN"}, if_no)]


D4_COMMON = [({"4.1-4.3": "all Y/PY"}, LOW), ({**ALT, "4.10": "Y/PY"}, LOW)]
D4: Tables = {
    "C": [
        *D4_COMMON,
        ({**CC, "4.5": "N/PN"}, LOW),
        *_by_411({**CC, "4.5": "Y/PY/NI", "4.6": "Y/PY"}, MOD, SER),
        *_by_411({**CC, "4.5": "Y/PY/NI", "4.6": "WN/NI"}, MOD, SER),
        *_by_411({**CC, "4.5": "Y/PY/NI", "4.6": "SN"}, SER, CRIT),
        *_by_411({**IMP, "4.8": "N/PN/NI"}, MOD, SER),
        ({**IMP, "4.8": "Y/PY", "4.9": "Y/PY"}, LOW),
        *_by_411({**IMP, "4.8": "Y/PY", "4.9": "WN/NI"}, MOD, SER),
        *_by_411({**IMP, "4.8": "Y/PY", "4.9": "SN"}, SER, CRIT),
        *_by_411({**ALT, "4.10": "WN/NI"}, MOD, SER),
        *_by_411({**ALT, "4.10": "SN"}, SER, CRIT),
    ],
    "W": [
        *D4_COMMON,
        *_by_411({**CC, "4.5": "N/PN"}, MOD, SER),
        *_by_411({**CC, "4.5": "Y/PY/NI", "4.6": "Y/PY"}, MOD, SER),
        *_by_411({**CC, "4.5": "Y/PY/NI", "4.6": "WN/NI"}, SER, SER),
        ({**CC, "4.5": "Y/PY/NI", "4.6": "SN"}, CRIT),
        *_by_411({**IMP, "4.8": "N/PN/NI"}, SER, CRIT),
        *_by_411({**IMP, "4.8": "Y/PY", "4.9": "Y/PY"}, LOW, SER),
        *_by_411({**IMP, "4.8": "Y/PY", "4.9": "WN/NI"}, SER, CRIT),
        ({**IMP, "4.8": "Y/PY", "4.9": "SN"}, CRIT),
        *_by_411({**ALT, "4.10": "WN/NI"}, SER, CRIT),
        ({**ALT, "4.10": "SN"}, CRIT),
    ],
    "M": [  # "not Y/PY" to 4.11 is N/PN or NI; "not N/PN" is Y/PY or NI
        *D4_COMMON,
        ({**CC, "4.5": "N/PN"}, LOW),
        ({**CC, "4.5": "Y/PY/NI", "4.6": "Y/PY/WN/NI", "4.11": "Y/PY"}, MOD),
        ({**CC, "4.5": "Y/PY/NI", "4.6": "Y/PY/WN/NI", "4.11": "N/PN/NI"}, SER),
        ({**CC, "4.5": "Y/PY/NI", "4.6": "SN", "4.11": "N/PN"}, CRIT),
        ({**CC, "4.5": "Y/PY/NI", "4.6": "SN", "4.11": "Y/PY/NI"}, SER),
        ({**IMP, "4.8": "N/PN/NI", "4.11": "N/PN"}, CRIT),
        ({**IMP, "4.8": "N/PN/NI", "4.11": "Y/PY/NI"}, SER),
        ({**IMP, "4.8": "Y/PY", "4.9": "Y/PY"}, LOW),
        ({**IMP, "4.8": "Y/PY", "4.9": "WN/NI", "4.11": "Y/PY"}, MOD),
        ({**IMP, "4.8": "Y/PY", "4.9": "WN/NI", "4.11": "N/PN/NI"}, SER),
        ({**IMP, "4.8": "Y/PY", "4.9": "SN", "4.11": "N/PN"}, CRIT),
        ({**IMP, "4.8": "Y/PY", "4.9": "SN", "4.11": "Y/PY/NI"}, SER),
        ({**ALT, "4.10": "WN/NI", "4.11": "Y/PY"}, MOD),
        ({**ALT, "4.10": "WN/NI", "4.11": "N/PN/NI"}, SER),
        ({**ALT, "4.10": "SN", "4.11": "N/PN"}, CRIT),
        ({**ALT, "4.10": "SN", "4.11": "Y/PY/NI"}, SER),
    ],
}

# ------------------------------------------------------------- Domain 5, measurement
D5_COMMON = [
    ({"5.1": "Y/PY"}, SER),
    ({"5.1": "N/PN", "5.2": "N/PN"}, LOW),
    ({"5.1": "N/PN", "5.2": "Y/PY/NI", "5.3": "N/PN"}, LOW),
    ({"5.1": "N/PN", "5.2": "Y/PY/NI", "5.3": "WY/NI"}, MOD),
    ({"5.1": "NI", "5.2": "N/PN"}, MOD),
    ({"5.1": "NI", "5.2": "Y/PY/NI", "5.3": "SY"}, SER),
    ({"5.1": "NI", "5.2": "Y/PY/NI", "5.3": "WY/N/PN/NI"}, MOD),
]
D5: Tables = {
    "C": [*D5_COMMON, ({"5.1": "N/PN", "5.2": "Y/PY/NI", "5.3": "SY"}, SER)],
    "W": [*D5_COMMON, ({"5.1": "N/PN", "5.2": "Y/PY/NI", "5.3": "SY"}, MOD)],
    "M": [*D5_COMMON, ({"5.1": "N/PN", "5.2": "Y/PY/NI", "5.3": "SY"}, SER)],
}

# ------------------------------------------------------------- Domain 6, reported result
# 6.1 Y/PY: Low in all three; otherwise 6.2-6.4 counted.
D6_COUNTS = {
    "C": {"all N/PN": LOW, "some NI, no Y/PY": MOD, "all NI": SER, "one Y/PY": SER,
          "two or more Y/PY": CRIT},
    "W": {"all N/PN": MOD, "some NI, no Y/PY": SER, "all NI": SER, "one Y/PY": SER,
          "two or more Y/PY": CRIT},
    "M": {"all N/PN": LOW, "some NI, no Y/PY": MOD, "all NI": SER, "one Y/PY": SER,
          "two or more Y/PY": CRIT},
}  # fmt: skip

# What each question allows when asked (the tool's forms: M's "response options", corates'
# checklist map), NA aside.
BASIC, NO_NI = "Y/PY/PN/N/NI", "Y/PY/PN/N"
STRONG_WEAK_NO, STRONG_WEAK_YES = "Y/PY/WN/SN/NI", "SY/WY/PN/N/NI"
ANSWER_SETS = {
    "B": {"B1": NO_NI, "B2": NO_NI, "B3": NO_NI},
    "D1": {"1.1": STRONG_WEAK_NO, "1.2": STRONG_WEAK_NO, "1.3": BASIC, "1.4": NO_NI},
    "D1:adherence": {"1.1": BASIC, "1.2": STRONG_WEAK_NO, "1.3": STRONG_WEAK_NO, "1.4": BASIC,
                     "1.5": NO_NI},
    "D2": {"2.1": BASIC, "2.2": BASIC, "2.3": STRONG_WEAK_YES, "2.4": STRONG_WEAK_YES,
           "2.5": BASIC},
    "D3": {"3.1": STRONG_WEAK_NO, **{f"3.{i}": BASIC for i in range(2, 9)}},
    "D4": {**{f"4.{i}": BASIC for i in (1, 2, 3, 4, 5, 7, 8, 11)},
           **{f"4.{i}": STRONG_WEAK_NO for i in (6, 9, 10)}},
    "D5": {"5.1": BASIC, "5.2": BASIC, "5.3": STRONG_WEAK_YES},
    "D6": {f"6.{i}": BASIC for i in range(1, 5)},
}  # fmt: skip


@functools.cache
def answers_of(pattern: str) -> frozenset[Answer]:
    if pattern == "any":
        return frozenset(Answer)
    return frozenset(Answer(part) for part in pattern.split("/"))


def matches(pattern: Mapping[str, str], answers: Mapping[str, Answer]) -> bool:
    for number, expected in pattern.items():
        if number == "4.1-4.3":
            complete = all(answers.get(f"4.{i}") in answers_of("Y/PY") for i in (1, 2, 3))
            if complete != (expected == "all Y/PY"):
                return False
        elif answers.get(number) not in answers_of(expected):
            return False
    return True


def stated(rows: Sequence[Row], answers: Mapping[str, Answer]) -> str | None:
    """The source's judgement for ``answers`` (None: silent); its rows never overlap."""
    hits = [(pattern, judgement) for pattern, judgement in rows if matches(pattern, answers)]
    assert len(hits) <= 1, (answers, hits)
    return hits[0][1] if hits else None


def agreed(judgements: Sequence[str | None]) -> str | None:
    """The rule of the module: at least two state it, and every one stating it agrees."""
    said = [j for j in judgements if j is not None]
    return said[0] if len(said) >= 2 and len(set(said)) == 1 else None


# Missing data: 4.1-4.3 every way they are complete, and each one incomplete alone or all three
# (which of the 125 ways asks 4.4 is tested on its own below), then everything after them.
D4_STARTS = [
    *(
        {"4.1": a, "4.2": b, "4.3": c}
        for a, b, c in itertools.product(answers_of("Y/PY"), repeat=3)
    ),
    {"4.1": Answer.N, "4.2": Answer.Y, "4.3": Answer.PY},
    {"4.1": Answer.Y, "4.2": Answer.PN, "4.3": Answer.Y},
    {"4.1": Answer.PY, "4.2": Answer.Y, "4.3": Answer.NI},
    {"4.1": Answer.NI, "4.2": Answer.N, "4.3": Answer.PN},
]


def complete_answer_sets(domain: Domain) -> Iterator[dict[str, Answer]]:
    """Every way of answering the questions asked, one at a time in order (D4: from
    :data:`D4_STARTS`)."""

    def extend(given: dict[str, Answer]) -> Iterator[dict[str, Answer]]:
        pending = [q for q in asked(domain, given) if q.number not in given]
        if not pending:
            yield given
            return
        question = pending[0]
        for answer in sorted(question.answers):
            yield from extend({**given, question.number: answer})

    starts: list[dict[str, Answer]] = D4_STARTS if domain is v2.MISSING_DATA else [{}]
    for start in starts:
        yield from extend(dict(start))


def test_missing_data_asks_about_the_analysis_unless_all_data_are_complete() -> None:
    basic = sorted(answers_of(BASIC))
    for a, b, c in itertools.product(basic, repeat=3):
        shown = [q.number for q in asked(v2.MISSING_DATA, {"4.1": a, "4.2": b, "4.3": c})]
        complete = {a, b, c} <= answers_of("Y/PY")
        assert ("4.4" in shown) is not complete, (a, b, c)
        assert ("4.11" in shown) is not complete, (a, b, c)


def assert_follows(
    domain: Domain, source_of: Callable[[str, dict[str, Answer]], str | None]
) -> None:
    sources = ("C", "W", "M")
    proposed_somewhere = set()
    for answers in complete_answer_sets(domain):
        assert check_answers(domain, answers) == [], answers
        expected = agreed([source_of(source, answers) for source in sources])
        assert propose(domain, answers) == expected, (
            answers,
            [source_of(s, answers) for s in sources],
        )
        proposed_somewhere.add(expected)
    assert proposed_somewhere - {None}, "the algorithm proposes something somewhere"


@pytest.mark.parametrize(
    ("domain", "tables"),
    [(v2.CONFOUNDING, D1A), (v2.CONFOUNDING_ADHERENCE, D1B), (v2.CLASSIFICATION, D2),
     (v2.MISSING_DATA, D4), (v2.MEASUREMENT, D5)],
    ids=["D1-assignment", "D1-adherence", "D2", "D4", "D5"],
)  # fmt: skip
def test_domain_proposes_what_the_transcriptions_agree_on(domain: Domain, tables: Tables) -> None:
    assert_follows(domain, lambda source, answers: stated(tables[source], answers))


@pytest.mark.parametrize("tables", [D1A, D1B, D2, D4, D5], ids=["D1A", "D1B", "D2", "D4", "D5"])
def test_every_row_of_every_transcription_is_reached(tables: Tables) -> None:
    domain = {id(D1A): v2.CONFOUNDING, id(D1B): v2.CONFOUNDING_ADHERENCE, id(D2): v2.CLASSIFICATION,
              id(D4): v2.MISSING_DATA, id(D5): v2.MEASUREMENT}[id(tables)]  # fmt: skip
    sets = list(complete_answer_sets(domain))
    for source, rows in tables.items():
        for pattern, _ in rows:
            assert any(matches(pattern, answers) for answers in sets), (source, pattern)


def d3_source(source: str, answers: dict[str, Answer]) -> str | None:
    part_a, part_b = D3_PARTS[source]
    parts = [stated(part_a, answers), stated(part_b, answers)]
    if None in parts:
        return None
    order = [LOW, MOD, SER]
    worst = max((p for p in parts if p is not None), key=order.index)
    return stated(D3_CORRECTION, answers) if worst == SER else worst


def test_selection_domain_follows_the_transcriptions() -> None:
    assert_follows(v2.SELECTION, d3_source)


def d6_source(source: str, answers: dict[str, Answer]) -> str | None:
    if answers["6.1"] in answers_of("Y/PY"):
        return LOW
    given = [answers[f"6.{i}"] for i in (2, 3, 4)]
    yes = sum(a in answers_of("Y/PY") for a in given)
    unknown = sum(a is Answer.NI for a in given)
    if yes:
        key = "one Y/PY" if yes == 1 else "two or more Y/PY"
    else:
        key = {0: "all N/PN", 3: "all NI"}.get(unknown, "some NI, no Y/PY")
    return D6_COUNTS[source][key]


def test_reported_result_domain_follows_the_transcriptions() -> None:
    assert_follows(v2.REPORTED_RESULT, d6_source)


@pytest.mark.parametrize(
    ("domain", "answers", "expected"),
    [
        (v2.CONFOUNDING, {"1.1": "PY", "1.3": "N", "1.2": "WN", "1.4": "PN"}, LOW_EX),
        (v2.CONFOUNDING, {"1.1": "SN", "1.2": "Y", "1.4": "PY"}, CRIT),
        (v2.CONFOUNDING, {"1.1": "WN", "1.3": "N", "1.2": "Y", "1.4": "N"}, None),
        (v2.CONFOUNDING_ADHERENCE, {"1.1": "NI", "1.4": "PY", "1.5": "N"}, CRIT),
        (v2.CLASSIFICATION, {"2.1": "Y", "2.4": "N", "2.5": "N"}, LOW),
        (v2.CLASSIFICATION, {"2.1": "N", "2.2": "N", "2.3": "N", "2.4": "WY", "2.5": "N"}, CRIT),
        (v2.SELECTION, {"3.1": "SN", "3.3": "N", "3.6": "N", "3.7": "PY"}, MOD),
        (v2.SELECTION, {"3.1": "Y", "3.2": "N", "3.3": "Y", "3.4": "Y", "3.5": "Y",
                        "3.6": "N", "3.7": "N", "3.8": "Y"}, CRIT),
        (v2.MISSING_DATA, {"4.1": "Y", "4.2": "Y", "4.3": "PY"}, LOW),
        (v2.MISSING_DATA, {"4.1": "Y", "4.2": "N", "4.3": "Y", "4.4": "Y", "4.5": "Y",
                           "4.6": "SN", "4.11": "N"}, CRIT),
        (v2.MEASUREMENT, {"5.1": "NI", "5.2": "Y", "5.3": "SY"}, SER),
        (v2.REPORTED_RESULT, {"6.1": "N", "6.2": "Y", "6.3": "PY", "6.4": "N"}, CRIT),
    ],
)  # fmt: skip
def test_worked_examples(domain: Domain, answers: dict[str, str], expected: str | None) -> None:
    given = {number: Answer(value) for number, value in answers.items()}
    assert check_answers(domain, given) == []
    assert propose(domain, given) == expected


def _domain_key(domain: Domain) -> str:
    return f"{domain.id}:{domain.variant}" if domain.variant else domain.id


def test_each_question_allows_the_answers_of_the_tools_forms() -> None:
    domains = [v2.TRIAGE, *v2.ROBINS_I_V2.domains, v2.CONFOUNDING_ADHERENCE]
    for domain in domains:
        allowed = {q.number: q.answers for q in domain.questions}
        expected = ANSWER_SETS[_domain_key(domain)]
        assert allowed == {n: answers_of(p) for n, p in expected.items()}, domain.id


# Conditional questions: (domain, answers so far, questions shown), from the transcriptions'
# "only asked if" and the flowcharts' arrows.
CONDITIONS = [
    (v2.TRIAGE, {"B1": "Y"}, ["B1", "B3"]),
    (v2.TRIAGE, {"B1": "PN"}, ["B1", "B2", "B3"]),
    (v2.CONFOUNDING, {"1.1": "SN"}, ["1.1", "1.2", "1.4"]),
    (v2.CONFOUNDING, {"1.1": "WN"}, ["1.1", "1.2", "1.3", "1.4"]),
    (v2.CONFOUNDING_ADHERENCE, {"1.1": "Y", "1.2": "SN"}, ["1.1", "1.2", "1.5"]),
    (v2.CONFOUNDING_ADHERENCE, {"1.1": "Y", "1.2": "WN"}, ["1.1", "1.2", "1.3", "1.5"]),
    (v2.CONFOUNDING_ADHERENCE, {"1.1": "NI"}, ["1.1", "1.4", "1.5"]),
    (v2.CLASSIFICATION, {"2.1": "Y"}, ["2.1", "2.4", "2.5"]),
    (v2.CLASSIFICATION, {"2.1": "NI", "2.2": "PN"}, ["2.1", "2.2", "2.3", "2.4", "2.5"]),
    (v2.SELECTION, {"3.1": "Y", "3.3": "N"}, ["3.1", "3.2", "3.3"]),
    (v2.SELECTION, {"3.1": "WN", "3.3": "Y", "3.4": "Y", "3.5": "PY", "3.6": "NI"},
     ["3.1", "3.3", "3.4", "3.5", "3.6", "3.7"]),
    (v2.SELECTION, {"3.1": "SN", "3.3": "N", "3.6": "N", "3.7": "N"},
     ["3.1", "3.3", "3.6", "3.7", "3.8"]),
    (v2.MISSING_DATA, {"4.1": "Y", "4.2": "PY", "4.3": "Y"}, ["4.1", "4.2", "4.3"]),
    (v2.MISSING_DATA, {"4.1": "Y", "4.2": "N", "4.3": "Y", "4.4": "NI", "4.5": "PN"},
     ["4.1", "4.2", "4.3", "4.4", "4.5", "4.11"]),
    (v2.MISSING_DATA, {"4.1": "NI", "4.2": "Y", "4.3": "Y", "4.4": "N", "4.7": "Y", "4.8": "Y"},
     ["4.1", "4.2", "4.3", "4.4", "4.7", "4.8", "4.9", "4.11"]),
    (v2.MISSING_DATA, {"4.1": "NI", "4.2": "Y", "4.3": "Y", "4.4": "N", "4.7": "NI"},
     ["4.1", "4.2", "4.3", "4.4", "4.7", "4.10", "4.11"]),
    (v2.MEASUREMENT, {"5.1": "Y"}, ["5.1"]),
    (v2.MEASUREMENT, {"5.1": "NI", "5.2": "N"}, ["5.1", "5.2"]),
    (v2.MEASUREMENT, {"5.1": "N", "5.2": "NI"}, ["5.1", "5.2", "5.3"]),
    (v2.REPORTED_RESULT, {"6.1": "PY"}, ["6.1"]),
    (v2.REPORTED_RESULT, {"6.1": "NI"}, ["6.1", "6.2", "6.3", "6.4"]),
]  # fmt: skip


@pytest.mark.parametrize(("domain", "answers", "shown"), CONDITIONS)
def test_conditional_questions(domain: Domain, answers: dict[str, str], shown: list[str]) -> None:
    given = {number: Answer(value) for number, value in answers.items()}
    assert [q.number for q in asked(domain, given)] == shown


def test_an_answer_to_a_question_not_asked_is_a_problem() -> None:
    problems = check_answers(v2.MEASUREMENT, {"5.1": Answer.Y, "5.2": Answer.N})
    assert [p.question for p in problems] == ["5.2"]


def test_a_strong_or_weak_answer_where_the_question_has_none_is_refused() -> None:
    problems = check_answers(v2.MEASUREMENT, {"5.1": Answer.SY})
    assert [p.message for p in problems] == ["D5 5.1: SY is not allowed (Y/PY/PN/N/NI)"]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"B1": "Y", "B3": "N"}, PROCEED),
        ({"B1": "N", "B2": "PN", "B3": "PN"}, PROCEED),
        ({"B1": "N", "B2": "PY", "B3": "N"}, CRIT),
        ({"B1": "PY", "B3": "Y"}, CRIT),
        ({"B1": "N", "B2": "N", "B3": "PY"}, CRIT),
        ({"B1": "N", "B3": "N"}, None),  # B2 unanswered
    ],
)
def test_triage_ends_the_assessment_at_critical(
    answers: dict[str, str], expected: str | None
) -> None:
    assert propose(v2.TRIAGE, {n: Answer(a) for n, a in answers.items()}) == expected


@pytest.mark.parametrize(
    ("judgements", "expected"),
    [
        ([LOW] * 6, LOW),
        ([LOW_EX, LOW, LOW, LOW, LOW, LOW], LOW_EX),
        ([LOW_EX, MOD, LOW, LOW, LOW, LOW], MOD),
        ([LOW_EX, MOD, SER, LOW, MOD, LOW], SER),
        ([SER, SER, CRIT, LOW, LOW, LOW], CRIT),
        ([LOW_EX, LOW, None, LOW, LOW, LOW], None),
    ],
)  # fmt: skip
def test_overall_is_the_most_severe_domain_judgement(
    judgements: list[str | None], expected: str | None
) -> None:
    assert overall(v2.ROBINS_I_V2, judgements) == expected


def test_scale_has_no_information_level_and_low_except_between_low_and_moderate() -> None:
    scale = v2.ROBINS_I_V2.scale
    assert scale.ids == (LOW, LOW_EX, MOD, SER, CRIT)
    assert scale.unranked == ()
    assert all(level.colour.startswith("#") and len(level.colour) == 7 for level in scale.levels)


def test_every_domain_says_where_it_leaves_the_judgement_to_the_assessor() -> None:
    for domain in (*v2.ROBINS_I_V2.domains, v2.CONFOUNDING_ADHERENCE):
        assert v2.open_paths(domain)


def test_registry_and_protocol_names() -> None:
    assert tool_by_id("robins-i-v2") is v2.ROBINS_I_V2
    assert TOOLS["robins-i"].name == "ROBINS-I"
    assert tool_for_protocol_name("ROBINS-I") is TOOLS["robins-i"]
    assert tool_for_protocol_name("ROBINS-I V2") is v2.ROBINS_I_V2
    assert tool_for_protocol_name("ROBINS-I version 2") is v2.ROBINS_I_V2
    assert [d.id for d in v2.ROBINS_I_V2.domains_for("adherence")] == [f"D{i}" for i in range(1, 7)]
    assert v2.ROBINS_I_V2.domains_for("adherence")[0] is v2.CONFOUNDING_ADHERENCE


# ------------------------------------------------------------- rob judge
COLUMNS = ["study", "variant", "B1", "B2", "B3", "1.1", "1.2", "1.3", "1.4", "1.5",
           "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7",
           "3.8", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11",
           "5.1", "5.2", "5.3", "6.1", "6.2", "6.3", "6.4", "D6"]  # fmt: skip
# D1 1.1 PY, 1.3 N, 1.2 Y, 1.4 N: Low (except ...); D2 2.1 Y, 2.4 N, 2.5 N: Low; D3 3.1 Y, 3.2 N,
# 3.3 N: Low; D4 4.1-4.3 Y: Low; D5 5.1 N, 5.2 N: Low; D6 6.1 Y: Low. Overall: Low (except ...).
GOOD = {"study": "Cohort 1", "B1": "Y", "B3": "N", "1.1": "PY", "1.2": "Y", "1.3": "N",
        "1.4": "N", "2.1": "Y", "2.4": "N", "2.5": "N", "3.1": "Y", "3.2": "N", "3.3": "N",
        "4.1": "Y", "4.2": "Y", "4.3": "Y", "5.1": "N", "5.2": "N", "6.1": "Y"}  # fmt: skip
# Triage: B1 N, B2 Y -> Critical; nothing else needed.
SCREENED_OUT = {"study": "Cohort 2", "B1": "N", "B2": "Y", "B3": "N"}
# Per-protocol: 1.1 N, 1.4 PY -> Critical; D6 all N/PN is left to the assessor: D6 given.
ADHERENCE = {**GOOD, "study": "Cohort 3", "variant": "adherence", "1.1": "N", "1.2": "",
             "1.3": "", "1.4": "PY", "1.5": "N", "6.1": "N", "6.2": "N", "6.3": "N", "6.4": "PN",
             "D6": "Moderate"}  # fmt: skip


def test_judge_fills_in_domains_triage_and_the_assessors_own_judgements() -> None:
    rows = [GOOD, SCREENED_OUT, ADHERENCE]
    judged = judge(v2.ROBINS_I_V2, COLUMNS, rows)
    domains = [f"D{i}" for i in range(1, 7)]
    assert [judged[0][d] for d in domains] == [LOW_EX, LOW, LOW, LOW, LOW, LOW]
    assert judged[0]["Overall"] == LOW_EX
    assert [judged[1].get(d, "") for d in domains] == [""] * 6
    assert judged[1]["Overall"] == CRIT
    assert [judged[2][d] for d in domains] == [CRIT, LOW, LOW, LOW, LOW, MOD]
    assert judged[2]["Overall"] == CRIT


def test_judge_lists_triage_and_strong_weak_problems() -> None:
    rows = [{**GOOD, "B1": "", "1.1": "maybe"}, {**GOOD, "2.4": "WN"}]
    with pytest.raises(ProblemsError) as error:
        judge(v2.ROBINS_I_V2, COLUMNS, rows)
    found = {(p.line, p.field, p.message) for p in error.value.problems}
    assert (2, "B1", "B B1: no answer (Y/PY/PN/N needed)") in found
    allowed = "Y/PY/SY/WY/WN/SN/PN/N/NI/NA"
    assert (2, "1.1", f"'maybe' is not an answer ({allowed}, or empty)") in found
    assert (3, "2.4", "D2 2.4: WN is not allowed (SY/WY/PN/N/NI)") in found


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), prog_name="review-app", env={"COLUMNS": "200"})
    if isinstance(result.exception, ReviewAppError):
        return 1, str(result.exception)
    return result.exit_code, result.output


def test_rob_judge_command_with_robins_i_v2(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows([GOOD, SCREENED_OUT, ADHERENCE])
    out = tmp_path / "judged.csv"
    code, output = run("rob", "judge", str(answers), "-o", str(out), "--tool", "robins-i-v2")
    assert code == 0, output
    assert "3 rows judged with ROBINS-I V2" in output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["Overall"] for r in rows] == [LOW_EX, CRIT, CRIT]
    assert [r["D1"] for r in rows] == [LOW_EX, "", CRIT]
