"""Rebuild the demo review's partly screened state (``review_app/demo/screening.json``).

The demo review (kratom for neuropathic pain) is seeded with title/abstract votes by the two demo
reviewers, ``reviewer1`` and ``reviewer2``, so that a newcomer sees every screening page at work:
records voted by both, a few honest disagreements left to the lead as conflicts, records with one
vote, and records nobody has screened yet.

The votes are not invented judgements: each follows the protocol
(``protocols/kratom-neuropathic-pain.toml``) applied to the facts recorded for the record in
``../shared/data/kratom/records.jsonl`` (``population``, ``design``, ``neuropathic``), by the
rule in ``judge()``. The notes only restate those fields. Three records on which a careful
reviewer could go either way from the abstract (``DISAGREEMENTS``) get one vote by the rule and
one "maybe" with the reason written out. Which records are screened is decided by a hash of
``record_id``, so the output is the same on every run.

Only records that are in the demo's search exports are used (``select()`` of
``build_demo_searches.py``). Each entry names the record by the identifier the exports carry:
its PMID, else its DOI (only when an export prints it), else its title.

Usage::

    python scripts/build_demo_screening.py [--records PATH] [--out PATH]
    python scripts/build_demo_screening.py --check   # exit 1 if screening.json is out of date
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECORDS = REPO_ROOT / ".." / "shared" / "data" / "kratom" / "records.jsonl"
DEMO_DIR = REPO_ROOT / "review_app" / "demo"
DEFAULT_ABSTRACTS = DEMO_DIR / "abstracts.json"
DEFAULT_OUT = DEMO_DIR / "screening.json"

Record = dict[str, Any]
Vote = dict[str, str | None]

REVIEWERS = ("reviewer1", "reviewer2")
BOTH_VOTED = 60  # of 86 records: about 70 % screened by both reviewers
ONE_VOTE = 6  # then three records voted by reviewer1 only, three by reviewer2 only
SALT = "demo-screening"

# Designs the protocol names as not eligible ("case reports, case series, cross-sectional
# surveys, uncontrolled before-after studies, qualitative studies, reviews, editorials,
# commentaries and letters"), plus surveillance and poison-centre analyses, which are counts of
# reported cases without a control group.
INELIGIBLE_DESIGN = re.compile(
    r"review|survey|case report|case series|cross-sectional|commentary|editorial|letter|"
    r"qualitative|interview|surveillance|natural-history|poison",
    re.IGNORECASE,
)
# A concurrent control group: randomised or (placebo-)controlled designs.
CONTROLLED_DESIGN = re.compile(r"\bRCT\b|randomi[sz]ed|controlled|control group", re.IGNORECASE)


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_demo_searches", Path(__file__).resolve().parent / "build_demo_searches.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()


# --- the rule ----------------------------------------------------------------------------------


def judge(r: Record) -> Vote:
    """A title/abstract vote that follows the protocol and the record's recorded facts.

    The first exclusion reason that applies, in the protocol's order: animal or in-vitro
    study; ineligible design (no concurrent control group); population other than people
    with neuropathic pain ("maybe" when the record leaves that unclear). A controlled human
    study in people with neuropathic pain would be included; the records hold none.
    """
    population = (r.get("population") or "").strip()
    design = (r.get("design") or "").strip()
    neuropathic = r.get("neuropathic")
    if population in ("animal", "in vitro"):
        return _vote("exclude", "animal_or_in_vitro", f"Design: {design}.")
    if design and (INELIGIBLE_DESIGN.search(design) or not CONTROLLED_DESIGN.search(design)):
        return _vote("exclude", "wrong_design", f"Design: {design}.")
    if neuropathic is True:
        return _vote("include", None, f"Design: {design}. People with neuropathic pain.")
    described = f"Design: {design}. " if design else "Design not recorded. "
    if neuropathic == "unclear":
        return _vote(
            "maybe", None, described + "Whether participants have neuropathic pain is unclear."
        )
    return _vote("exclude", "wrong_population", described + "Not people with neuropathic pain.")


def _vote(vote: str, reason: str | None, note: str | None) -> Vote:
    return {"vote": vote, "reason": reason, "note": note}


# Honest disagreements, left unresolved for the lead: record_id -> (reviewer who votes "maybe",
# that reviewer's note, why a careful reviewer could go either way). The other reviewer votes by
# judge(). Every statement is taken from the record's fields (design, abstract_summary, notes).
DISAGREEMENTS: dict[str, tuple[str, str, str]] = {
    "kratom-001": (
        "reviewer1",
        "Randomised, placebo-controlled, double-blind crossover study of kratom and pain, but in "
        "26 healthy regular kratom users with experimental cold-pressor pain. Indirect "
        "population; passing it on to check at full text.",
        "The only randomised study of kratom and pain in humans, in healthy regular users with "
        "experimental pain: the protocol excludes healthy volunteers with experimental pain, "
        "but a reviewer may want the full text of the one RCT.",
    ),
    "kratom-007": (
        "reviewer2",
        "49.1% of the kratom consumers met chronic-pain criteria; the type of chronic pain "
        "(neuropathic or not) is not stated. Full text needed to judge the population.",
        "A cross-sectional survey with ecological momentary assessment (an ineligible design), "
        "but about half the participants had chronic pain of unstated type: the population is "
        "unclear from the abstract.",
    ),
    "kratom-067": (
        "reviewer2",
        "A 47-year-old man with peripheral neuropathy took kratom for neuropathy and hip pain "
        "and developed cholestatic liver injury. A case report, but of kratom used for "
        "neuropathy, with a harm; worth a look at full text.",
        "A case report (an ineligible design) of kratom taken for neuropathy, reporting harm: "
        "one reviewer excludes on design, the other wants to see it.",
    ),
}


def votes_for(r: Record) -> dict[str, Vote]:
    """Both reviewers' votes on a record: the rule, except where they honestly disagree."""
    rule = judge(r)
    votes = {
        "reviewer1": rule,
        # reviewer2 writes a note only where the population decides
        "reviewer2": {
            **rule,
            "note": rule["note"] if rule["reason"] == "wrong_population" else None,
        },
    }
    if r["record_id"] in DISAGREEMENTS:
        who, note, _ = DISAGREEMENTS[r["record_id"]]
        votes[who] = _vote("maybe", None, note)
    return votes


# --- identifiers and selection ---------------------------------------------------------------


def identifiers(r: Record, export_text: str) -> dict[str, str | None]:
    """The identifiers an export carries for this record: PMID, DOI (if printed), title."""
    pmid = r["pmid"] if builder.in_pubmed(r) else None
    doi = builder.embase_doi(r)
    # the DOI printed whole: not followed by more DOI characters (a final period may end it)
    if doi and not re.search(re.escape(doi.lower()) + r"(?![\w/]|[.-]\w)", export_text):
        doi = None  # dropped from every export that holds the record
    return {
        "pmid": pmid,
        "doi": doi.lower() if doi else None,
        "title": builder.plain_title(r["title"]),
    }


def screening_plan(records: list[Record]) -> tuple[list[str], list[str], list[str]]:
    """record_ids voted by both reviewers, by one reviewer, and by none (each in id order)."""
    ids = sorted({r["record_id"] for recs in builder.select(records).values() for r in recs})
    missing = set(DISAGREEMENTS) - set(ids)
    if missing:
        raise ValueError(f"disagreement records not in the demo exports: {sorted(missing)}")
    rest = sorted(
        (i for i in ids if i not in DISAGREEMENTS), key=lambda i: (builder.bucket(SALT, i), i)
    )
    both_count = BOTH_VOTED - len(DISAGREEMENTS)
    both = sorted([*DISAGREEMENTS, *rest[:both_count]])
    one = rest[both_count : both_count + ONE_VOTE]
    none = sorted(rest[both_count + ONE_VOTE :])
    return both, one, none


def build(records: list[Record], abstracts: dict[str, str]) -> dict[str, Any]:
    by_id = {r["record_id"]: r for r in records}
    export_text = "\n".join(builder.build(records, abstracts).values()).lower()
    both, one, none = screening_plan(records)
    one_reviewer = {rid: REVIEWERS[i % 2] for i, rid in enumerate(one)}
    entries = []
    for rid in sorted([*both, *one]):
        r = by_id[rid]
        votes = votes_for(r)
        who = [one_reviewer[rid]] if rid in one_reviewer else list(REVIEWERS)
        entry: dict[str, Any] = {"record_id": rid, **identifiers(r, export_text)}
        entry["title_abstract"] = [{"reviewer": name, **votes[name]} for name in who]
        if rid in DISAGREEMENTS:
            entry["disagreement"] = DISAGREEMENTS[rid][2]
        entries.append(entry)
    titles = [e["title"].casefold() for e in entries]
    if len(set(titles)) != len(titles):
        raise ValueError("two screened records share a title; titles must identify records")
    return {
        "about": (
            "Demo screening state, built by scripts/build_demo_screening.py from "
            "shared/data/kratom/records.jsonl: title/abstract votes by the demo reviewers that "
            "follow the protocol applied to each record's recorded population, design and "
            "neuropathic-pain status. Records are named by PMID, else DOI, else title."
        ),
        "records_in_demo": len(both) + len(one) + len(none),
        "voted_by_both": len(both),
        "voted_by_one": len(one),
        "not_screened": none,
        "entries": entries,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS)
    parser.add_argument("--abstracts", type=Path, default=DEFAULT_ABSTRACTS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with the file, write nothing")
    args = parser.parse_args(argv)
    if not args.records.is_file():
        print(f"records not found: {args.records}", file=sys.stderr)
        return 2
    records = builder.load_records(args.records)
    data = build(records, builder.load_abstracts(args.abstracts))
    text = render(data)
    conflicts = sorted(DISAGREEMENTS)
    print(
        f"{data['records_in_demo']} records: {data['voted_by_both']} voted by both reviewers, "
        f"{data['voted_by_one']} by one, {len(data['not_screened'])} by none; "
        f"conflicts left for the lead: {', '.join(conflicts)}"
    )
    if args.check:
        if not args.out.is_file() or args.out.read_text(encoding="utf-8") != text:
            print(f"out of date: {args.out}", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
