"""One GRADE copy's content (:class:`GradeContent`) as stored JSON, and item by item: what two
judges' copies are compared on, what a lead takes from one into the final, what an audit event
names (pure).

The items, in the order a comparison lists them: the body of evidence (``source``), the saved
analysis (``analysis``), the narrative synthesis (``narrative``), per domain its ``rating`` and
its ``explanation``, per study the PICO elements judged indirect (``indirect``), the comparator
risks entered (``baselines``), the SoF's ``comments`` and the plain-language ``statement``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from review_app.domain.comparison import Comparison, Item, ItemKey, ItemValues
from review_app.domain.grade.model import (
    BaselineRisk,
    EvidenceSource,
    GradeContent,
    GradeDomain,
    Judgement,
    PicoElement,
    Rating,
)
from review_app.errors import ValidationError

KEYS = ("source", "analysis", "narrative", "indirect", "judgements", "baselines", "comments",
        "statement")  # fmt: skip
JUDGEMENT_KEYS = ("rating", "explanation")
BASELINE_KEYS = ("label", "per_1000", "source")
PER_1000 = 1000.0  # a comparator risk is given per 1,000 people (GRADE Handbook 5.2.4)

# What each kind of item is called for people (a domain's or study's name follows).
ITEM_LABELS = {
    "source": "Body of evidence",
    "analysis": "Saved analysis",
    "narrative": "Narrative synthesis",
    "rating": "rating",
    "explanation": "explanation",
    "indirect": "Indirect PICO elements",
    "baselines": "Comparator risks",
    "comments": "Comments",
    "statement": "Plain-language statement",
}
ITEM_KINDS = tuple(ITEM_LABELS)


# --- JSON ---------------------------------------------------------------------------------------


def content_to_dict(content: GradeContent) -> dict[str, Any]:
    """``content`` as JSON-ready data (the ``gradeassessment.content`` column)."""
    return {
        "source": content.source.value if content.source is not None else None,
        "analysis": content.analysis,
        "narrative": content.narrative,
        "indirect": {
            study: sorted(e.value for e in elements)
            for study, elements in sorted(content.indirect.items())
        },
        "judgements": {
            domain.value: {
                "rating": j.rating.value if j.rating is not None else None,
                "explanation": j.explanation,
            }
            for domain in GradeDomain
            if (j := content.judgements.get(domain)) is not None
        },
        "baselines": [
            {"label": b.label, "per_1000": b.per_1000, "source": b.source}
            for b in content.baselines
        ],
        "comments": content.comments,
        "statement": content.statement,
    }


def content_from_dict(data: Mapping[str, Any]) -> GradeContent:
    """The content ``data`` holds (missing keys: their defaults). Unknown keys, words outside
    GRADE's vocabulary or a rating another domain takes: a ValidationError listing each."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise ValidationError(f"GRADE content must be an object of {', '.join(KEYS)}")
    problems.extend(_unknown_keys("", data, KEYS))
    content = GradeContent(
        source=_choice(problems, "source", data.get("source"), EvidenceSource, optional=True),
        analysis=_text(problems, "analysis", data.get("analysis"), optional=True) or None,
        narrative=_text(problems, "narrative", data.get("narrative")),
        indirect=_indirect(problems, data.get("indirect") or {}),
        judgements=_judgements(problems, data.get("judgements") or {}),
        baselines=_baselines(problems, data.get("baselines") or []),
        comments=_text(problems, "comments", data.get("comments")),
        statement=_text(problems, "statement", data.get("statement")),
    )
    if problems:
        raise ValidationError(
            "GRADE content cannot be read: " + "; ".join(problems) + " (nothing was read)"
        )
    return content


def _unknown_keys(where: str, data: Mapping[str, Any], allowed: Sequence[str]) -> list[str]:
    return [
        f"{where}{key!r} is not a key; allowed: {', '.join(allowed)}"
        for key in data
        if key not in allowed
    ]


def _text(problems: list[str], where: str, value: Any, *, optional: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        kind = "text or null" if optional else "text"
        problems.append(f"{where}: {value!r} is not {kind}")
        return ""
    return value


def _choice(
    problems: list[str], where: str, value: Any, kind: type[Any], *, optional: bool = False
) -> Any:
    if value is None and optional:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member) for member in kind)
        problems.append(f"{where}: {value!r} is not allowed; allowed: {allowed}")
        return None


def _indirect(problems: list[str], data: Any) -> dict[str, frozenset[PicoElement]]:
    if not isinstance(data, Mapping):
        problems.append("indirect: give an object of study label -> list of PICO elements")
        return {}
    found: dict[str, frozenset[PicoElement]] = {}
    for study, elements in data.items():
        if not isinstance(elements, list):
            problems.append(f"indirect.{study}: give a list of PICO elements")
            continue
        chosen = (_choice(problems, f"indirect.{study}", e, PicoElement) for e in elements)
        found[str(study)] = frozenset(e for e in chosen if e is not None)
    return found


def _judgements(problems: list[str], data: Any) -> dict[GradeDomain, Judgement]:
    if not isinstance(data, Mapping):
        problems.append("judgements: give an object of domain -> {rating, explanation}")
        return {}
    found: dict[GradeDomain, Judgement] = {}
    for key, entry in data.items():
        domain = _choice(problems, "judgements", key, GradeDomain)
        if domain is None:
            continue
        where = f"judgements.{domain}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: give an object of {', '.join(JUDGEMENT_KEYS)}")
            continue
        problems.extend(_unknown_keys(f"{where}: ", entry, JUDGEMENT_KEYS))
        rating = _choice(problems, f"{where}.rating", entry.get("rating"), Rating, optional=True)
        problems.extend(f"{where}: {p}" for p in rating_problems(domain, rating))
        explanation = _text(problems, f"{where}.explanation", entry.get("explanation"))
        found[domain] = Judgement(domain, rating, explanation)
    return found


def _baselines(problems: list[str], data: Any) -> tuple[BaselineRisk, ...]:
    if not isinstance(data, list):
        problems.append("baselines: give a list of {label, per_1000, source}")
        return ()
    found = []
    for number, entry in enumerate(data, 1):
        where = f"baselines[{number}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: give an object of {', '.join(BASELINE_KEYS)}")
            continue
        problems.extend(_unknown_keys(f"{where}: ", entry, BASELINE_KEYS))
        per_1000 = entry.get("per_1000")
        if isinstance(per_1000, bool) or not isinstance(per_1000, int | float):
            problems.append(f"{where}.per_1000: {per_1000!r} is not a number")
            continue
        label = _text(problems, f"{where}.label", entry.get("label"))
        source = _text(problems, f"{where}.source", entry.get("source"))
        found.append(BaselineRisk(label, float(per_1000), source))
    return tuple(found)


# --- checks -------------------------------------------------------------------------------------


def rating_problems(domain: GradeDomain, rating: Rating | None) -> list[str]:
    """Why ``rating`` cannot be ``domain``'s (a downgrading domain is not rated up, an upgrading
    one not down); [] when it can."""
    if rating is None or rating in domain.ratings:
        return []
    allowed = ", ".join(f"{r.value} ({r.label})" for r in domain.ratings)
    return [f"{rating.value!r} is not a rating of {domain.label}; allowed: {allowed}"]


def baseline_problems(baseline: BaselineRisk) -> list[str]:
    """Why a comparator risk cannot be used: it needs a label and lies within 0 to 1,000."""
    found = []
    if not baseline.label.strip():
        found.append("a comparator risk needs a label (low, moderate, high, or its population)")
    if not 0.0 <= baseline.per_1000 <= PER_1000:
        found.append(f"{baseline.per_1000:g} per 1,000 is not a risk; give 0 to 1,000")
    return found


def tidy(content: GradeContent) -> GradeContent:
    """``content`` with texts trimmed, each judgement under its own domain, judgements with
    neither rating nor explanation and studies with no indirect element dropped."""
    judgements = {}
    for key, judgement in content.judgements.items():
        domain = GradeDomain(key)
        explanation = judgement.explanation.strip()
        if judgement.rating is not None or explanation:
            judgements[domain] = Judgement(domain, judgement.rating, explanation)
    return dataclasses.replace(
        content,
        analysis=(content.analysis or "").strip() or None,
        narrative=content.narrative.strip(),
        indirect={s.strip(): frozenset(e) for s, e in content.indirect.items() if e},
        judgements={d: judgements[d] for d in GradeDomain if d in judgements},
        baselines=tuple(
            BaselineRisk(b.label.strip(), b.per_1000, b.source.strip()) for b in content.baselines
        ),
        comments=content.comments.strip(),
        statement=content.statement.strip(),
    )


# --- items --------------------------------------------------------------------------------------


def item_values(content: GradeContent) -> dict[ItemKey, Any]:
    """Each item the content holds something for, as JSON-ready data (the audit's values)."""
    found: dict[ItemKey, Any] = {}
    if content.source is not None:
        found["source",] = content.source.value
    if content.analysis:
        found["analysis",] = content.analysis
    if content.narrative:
        found["narrative",] = content.narrative
    for domain in GradeDomain:
        judgement = content.judgements.get(domain)
        if judgement is not None and judgement.rating is not None:
            found["rating", domain.value] = judgement.rating.value
        if judgement is not None and judgement.explanation:
            found["explanation", domain.value] = judgement.explanation
    for study in sorted(content.indirect):
        if content.indirect[study]:
            found["indirect", study] = sorted(e.value for e in content.indirect[study])
    if content.baselines:
        found["baselines",] = content_to_dict(content)["baselines"]
    if content.comments:
        found["comments",] = content.comments
    if content.statement:
        found["statement",] = content.statement
    return found


def item_label(key: ItemKey) -> str:
    """ "Risk of bias: rating", "Indirect PICO elements: Smith 2020", "Comments"."""
    kind = key[0]
    if kind in ("rating", "explanation"):
        return f"{GradeDomain(key[1]).label}: {ITEM_LABELS[kind]}"
    if kind == "indirect":
        return f"{ITEM_LABELS[kind]}: {key[1]}"
    return ITEM_LABELS[kind]


def shown(key: ItemKey, value: Any) -> str | None:
    """An item's value as people read it in a comparison (None: nothing given)."""
    if value is None:
        return None
    kind = key[0]
    if kind == "source":
        return EvidenceSource(value).value
    if kind == "rating":
        return Rating(value).label
    if kind == "indirect":
        return ", ".join(value)
    if kind == "baselines":
        return "; ".join(
            f"{b['label']} {b['per_1000']:g} per 1,000"
            + (f" ({b['source']})" if b["source"] else "")
            for b in value
        )
    return str(value)


def _order(key: ItemKey) -> tuple[int, int, str]:
    position = ITEM_KINDS.index(key[0])
    if key[0] in ("rating", "explanation"):
        return (ITEM_KINDS.index("rating"), list(GradeDomain).index(GradeDomain(key[1])) * 2
                + (key[0] == "explanation"), "")  # fmt: skip
    return (position, 0, key[1] if len(key) > 1 else "")


def compare(copies: Sequence[GradeContent]) -> Comparison:
    """The copies compared item by item, every item any copy holds, in the module's order."""
    values = [item_values(copy) for copy in copies]
    keys = sorted({key for found in values for key in found}, key=_order)
    return Comparison.of(
        ItemValues(
            Item(key, item_label(key)),
            tuple(shown(key, found.get(key)) for found in values),
            len({repr(found.get(key)) for found in values}) == 1,
        )
        for key in keys
    )


def check_item(key: Sequence[str]) -> ItemKey:
    """``key`` as an item key, or a ValidationError naming the items there are."""
    item = tuple(key)
    kinds = ", ".join(ITEM_KINDS)
    if not item or item[0] not in ITEM_KINDS:
        raise ValidationError(f"item {list(item)}: the first part is one of {kinds}")
    kind = item[0]
    if kind in ("rating", "explanation"):
        if len(item) != 2 or item[1] not in set(GradeDomain):
            domains = ", ".join(GradeDomain)
            raise ValidationError(f"item {list(item)}: give [{kind!r}, domain]; domains: {domains}")
    elif kind == "indirect":
        if len(item) != 2 or not item[1]:
            raise ValidationError(f"item {list(item)}: give ['indirect', study label]")
    elif len(item) != 1:
        raise ValidationError(f"item {list(item)}: give [{kind!r}] alone")
    return item


def take(final: GradeContent, source: GradeContent, key: Sequence[str]) -> GradeContent:
    """``final`` with one item of ``source``: a rating comes with its explanation, the body of
    evidence with the saved analysis it names; an item ``source`` lacks is emptied in ``final``."""
    item = check_item(key)
    kind = item[0]
    if kind in ("source", "analysis", "narrative", "comments", "statement", "baselines"):
        taken = {kind: getattr(source, kind)}
        if kind == "source" and source.source == EvidenceSource.ANALYSIS:
            taken["analysis"] = source.analysis
        return dataclasses.replace(final, **taken)
    if kind == "indirect":
        indirect = dict(final.indirect)
        indirect.pop(item[1], None)
        if source.indirect.get(item[1]):
            indirect[item[1]] = source.indirect[item[1]]
        return dataclasses.replace(final, indirect=indirect)
    domain = GradeDomain(item[1])
    theirs = source.judgements.get(domain, Judgement(domain))
    ours = final.judgements.get(domain, Judgement(domain))
    new = theirs if kind == "rating" else Judgement(domain, ours.rating, theirs.explanation)
    judgements = {**final.judgements, domain: new}
    return dataclasses.replace(final, judgements=judgements)


def changes(before: GradeContent, after: GradeContent) -> Iterator[tuple[ItemKey, Any, Any]]:
    """(item, value before, value after) for each item that differs, in the module's order."""
    old, new = item_values(before), item_values(after)
    for key in sorted(set(old) | set(new), key=_order):
        if old.get(key) != new.get(key):
            yield key, old.get(key), new.get(key)
