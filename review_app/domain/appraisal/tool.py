"""An appraisal (risk-of-bias) tool as data, and the rules that read it (pure).

A :class:`Tool` (RoB 2, ROBINS-I, later QUADAS-2 or ROB-ME) is plain data: its judgement scale
(ordered, each level with the colour robvis draws it in), its domains, and variants that swap
some domains for others (RoB 2's "effect of adhering" Domain 2). A :class:`Domain` holds its
signalling :class:`Question` s, each with its official number ("1.1"), a short label in our own
words, the answers it allows and the :data:`Condition` on earlier answers under which it is asked,
and its published decision algorithm as a tree (:class:`Branch`, :class:`Worst`, a level id at
the leaves). Nothing here knows a particular tool, so a new tool is new data, not new code.

- :func:`asked` lists the questions shown, given the answers so far (a conditional question
  appears only once the answers it depends on call for it);
- :func:`check_answers` lists what the algorithm cannot use: a missing answer to a question that
  is asked, an answer to one that is not (only NA or nothing is allowed there), an answer the
  question does not allow;
- :func:`propose` walks the domain's algorithm to the proposed judgement (None until the answers
  it needs are given);
- :func:`overall` applies the tool's overall rule to the domain judgements.

The official question wording may not be redistributable (see ``rob2.py``), so questions carry our
labels; :func:`with_official_text` puts in the wording from a file a team holds
(:func:`load_official_text` reads TOML or CSV).
"""

from __future__ import annotations

import csv
import dataclasses
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from review_app.errors import ValidationError


class Answer(StrEnum):
    """A signalling-question answer, as the RoB 2 and ROBINS-I guidance abbreviate it.

    ROBINS-I V2 adds strong and weak answers (SY, WY, WN, SN) where the size of a problem
    matters; they sit in the order its forms list them (Y, PY, WN, SN, NI; SY, WY, PN, N, NI), and
    a question allows only the answers its tool gives it, so RoB 2 and ROBINS-I 2016 never see
    them."""

    Y = "Y"  # yes
    PY = "PY"  # probably yes
    SY = "SY"  # strong yes (ROBINS-I V2: yes, and the problem is substantial)
    WY = "WY"  # weak yes (ROBINS-I V2: yes, but the problem is not substantial)
    WN = "WN"  # weak no (ROBINS-I V2: no, but the shortfall is probably not substantial)
    SN = "SN"  # strong no (ROBINS-I V2: no, and the shortfall is substantial)
    PN = "PN"  # probably no
    N = "N"  # no
    NI = "NI"  # no information
    NA = "NA"  # not applicable

    @property
    def label(self) -> str:
        return _ANSWER_LABELS[self]


_ANSWER_LABELS = {
    Answer.Y: "Yes",
    Answer.PY: "Probably yes",
    Answer.SY: "Strong yes",
    Answer.WY: "Weak yes",
    Answer.WN: "Weak no",
    Answer.SN: "Strong no",
    Answer.PN: "Probably no",
    Answer.N: "No",
    Answer.NI: "No information",
    Answer.NA: "Not applicable",
}

# The answer sets the guidance documents' algorithms branch on ("Y/PY", "N/PN/NI", ...).
YES = frozenset({Answer.Y, Answer.PY})
NO = frozenset({Answer.N, Answer.PN})
NI = frozenset({Answer.NI})
NA = frozenset({Answer.NA})
YES_NO = YES | NO
YES_NO_NI = YES | NO | NI


@dataclass(frozen=True)
class Level:
    """One judgement on a tool's scale: ``id`` is what files hold ("Low", "Some concerns")."""

    id: str
    colour: str  # hex, as robvis colours it
    symbol: str = ""  # robvis's traffic-light symbol ("+", "-", "x", "!", "?")


@dataclass(frozen=True)
class Scale:
    """A tool's judgements, best first. ``unranked`` levels (ROBINS-I's "No information") have no
    place in the order; see :class:`WorstRule`."""

    levels: tuple[Level, ...]
    unranked: tuple[Level, ...] = ()

    def level(self, level_id: str) -> Level:
        for level in (*self.levels, *self.unranked):
            if level.id == level_id:
                return level
        raise ValidationError(f"judgement {level_id!r}: allowed are {', '.join(self.ids)}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(level.id for level in (*self.levels, *self.unranked))

    def rank(self, level_id: str) -> int | None:
        """0 for the best level, None for an unranked one."""
        ranked = [level.id for level in self.levels]
        return ranked.index(level_id) if level_id in ranked else None


# Conditions on earlier answers: data, so that a tool's "If Y/PY/NI to 2.1 or 2.2" is written once.
@dataclass(frozen=True)
class AnsweredIn:
    """True when ``question`` is answered with one of ``answers``."""

    question: str
    answers: frozenset[Answer]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


Condition = AnsweredIn | AnyOf | AllOf


def holds(condition: Condition | None, answers: Mapping[str, Answer]) -> bool:
    """Whether ``condition`` holds for ``answers`` (no condition: always; unanswered: false)."""
    if condition is None:
        return True
    if isinstance(condition, AnsweredIn):
        return answers.get(condition.question) in condition.answers
    if isinstance(condition, AnyOf):
        return any(holds(part, answers) for part in condition.conditions)
    return all(holds(part, answers) for part in condition.conditions)


@dataclass(frozen=True)
class Question:
    """A signalling question. ``number`` is the official item number ("2.3"); ``label`` our own
    short wording; ``answers`` those allowed when it is asked (NA only where the guidance offers
    it, e.g. "[If applicable:]" items); ``condition`` when it is asked (None: always)."""

    number: str
    label: str
    answers: frozenset[Answer] = YES_NO_NI
    condition: Condition | None = None
    official_text: str | None = None

    @property
    def text(self) -> str:
        """The official wording when a team has loaded it, else our label."""
        return self.official_text or self.label


# A domain's decision algorithm: a tree whose leaves are level ids.
@dataclass(frozen=True)
class Branch:
    """Go on by the answer to ``question``: the first route whose answer set holds it."""

    question: str
    routes: tuple[tuple[frozenset[Answer], Node], ...]


@dataclass(frozen=True)
class Worst:
    """The worst of several parts' judgements (RoB 2 Domain 2, assignment: parts 2.1-2.5 and
    2.6-2.7, "Low if both Low, High if either High, otherwise Some concerns"); ``order`` lists
    the parts' possible judgements, best first."""

    parts: tuple[Node, ...]
    order: tuple[str, ...]


Node = Branch | Worst | str


@dataclass(frozen=True)
class Domain:
    """``id`` is what files hold ("D1"); ``variant`` names the variant it belongs to, if any;
    ``algorithm`` None where the guidance publishes none (the assessor judges, e.g. ROBINS-I 2016
    beyond its first question)."""

    id: str
    label: str
    questions: tuple[Question, ...]
    algorithm: Node | None
    variant: str | None = None

    def question(self, number: str) -> Question:
        for question in self.questions:
            if question.number == number:
                return question
        raise ValidationError(f"{self.id}: no question {number!r}")


@dataclass(frozen=True)
class Variant:
    """A variant of a tool: the domains it swaps in, by id (an empty mapping: the default)."""

    id: str
    label: str
    domains: Mapping[str, Domain] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class WorstRule:
    """Overall = the worst domain judgement (RoB 2: all Low -> Low, any High -> High, otherwise
    Some concerns). ``unranked_below``: an unranked level in any domain is the overall judgement
    when the worst ranked one is better than this level (ROBINS-I: "No information" unless some
    domain is Serious or Critical)."""

    unranked_below: str | None = None


# The leaf of a triage algorithm that sends the assessor on to the domains (ROBINS-I V2's
# section B: "Critical" ends the assessment, PROCEED goes on).
PROCEED = "proceed"


@dataclass(frozen=True)
class Tool:
    """``triage``: questions answered before the domains, whose algorithm gives either a level
    that is the overall judgement without assessing any domain, or :data:`PROCEED` (ROBINS-I V2
    section B); None for tools without one."""

    id: str
    name: str
    version: str
    guidance_url: str
    citation: str
    scale: Scale
    domains: tuple[Domain, ...]
    overall_rule: WorstRule = WorstRule()
    variants: tuple[Variant, ...] = ()
    triage: Domain | None = None

    def variant(self, variant_id: str | None) -> Variant | None:
        if variant_id is None or variant_id == "":
            return self.variants[0] if self.variants else None
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        allowed = ", ".join(v.id for v in self.variants) or "none"
        raise ValidationError(f"{self.name}: variant {variant_id!r}: allowed are {allowed}")

    def domains_for(self, variant_id: str | None = None) -> tuple[Domain, ...]:
        """The domains assessed under ``variant_id`` (None or "": the first, default variant)."""
        variant = self.variant(variant_id)
        swaps = variant.domains if variant else {}
        return tuple(swaps.get(domain.id, domain) for domain in self.domains)

    def every_domain(self) -> tuple[Domain, ...]:
        """The triage (if any), the domains and the domains variants swap in: every question."""
        triage = (self.triage,) if self.triage else ()
        swapped = (d for v in self.variants for d in v.domains.values())
        return (*triage, *self.domains, *swapped)

    @property
    def answers(self) -> tuple[Answer, ...]:
        """The answers some question of the tool allows, and NA, in the guidance's order."""
        used = {a for d in self.every_domain() for q in d.questions for a in q.answers}
        return tuple(a for a in Answer if a in used or a is Answer.NA)


@dataclass(frozen=True)
class Problem:
    """Something the algorithm cannot use: ``question`` is its number, ``message`` says why."""

    question: str
    message: str


def asked(domain: Domain, answers: Mapping[str, Answer]) -> list[Question]:
    """The domain's questions shown given ``answers``, in order. Only answers to questions that
    are shown count: a stray answer to a question that does not apply opens nothing."""
    shown: list[Question] = []
    counted: dict[str, Answer] = {}
    for question in domain.questions:
        if holds(question.condition, counted):
            shown.append(question)
            if question.number in answers:
                counted[question.number] = answers[question.number]
    return shown


def check_answers(domain: Domain, answers: Mapping[str, Answer | None]) -> list[Problem]:
    """Every answer the algorithm cannot use, in question order (empty: ``propose`` will give a
    judgement). ``answers`` may hold None or lack a key for an unanswered question. After an
    answer a question does not allow, whether later questions apply is unknown, so only their
    answers' kind is checked (one wrong answer is one problem, not a cascade)."""
    given = {number: answer for number, answer in answers.items() if answer is not None}
    problems = [
        Problem(number, f"{domain.id}: no question {number}")
        for number in given
        if number not in {q.number for q in domain.questions}
    ]
    shown = {q.number for q in asked(domain, given)}
    undecided = False
    for question in domain.questions:
        answer = given.get(question.number)
        if undecided:
            shown_anyway = set() if answer in (None, Answer.NA) else {question.number}
            problems.extend(_check_one(domain, question, answer, shown_anyway))
            continue
        found = _check_one(domain, question, answer, shown)
        undecided = answer is not None and question.number in shown and bool(found)
        problems.extend(found)
    return problems


def _check_one(
    domain: Domain, question: Question, answer: Answer | None, shown: set[str]
) -> list[Problem]:
    where = f"{domain.id} {question.number}"
    if question.number not in shown:
        if answer not in (None, Answer.NA):
            return [Problem(question.number, f"{where}: answered {answer} but does not apply")]
        return []
    if answer is None:
        allowed = "/".join(_ordered(question.answers))
        return [Problem(question.number, f"{where}: no answer ({allowed} needed)")]
    if answer not in question.answers:
        allowed = "/".join(_ordered(question.answers))
        return [Problem(question.number, f"{where}: {answer} is not allowed ({allowed})")]
    return []


def _ordered(answers: Iterable[Answer]) -> list[str]:
    return [a.value for a in Answer if a in set(answers)]


def recordable_answers(question: Question) -> tuple[Answer, ...]:
    """The answers ``question`` may ever hold, in the guidance's order: those it allows when
    asked, and NA when it is conditional (not asked, it is NA or nothing)."""
    na = {Answer.NA} if question.condition is not None else set()
    return tuple(a for a in Answer if a in question.answers | na)


def propose(domain: Domain, answers: Mapping[str, Answer]) -> str | None:
    """The domain judgement the published algorithm proposes (a level id), or None while an answer
    it needs is missing or unusable (see :func:`check_answers`)."""
    return None if domain.algorithm is None else _walk(domain.algorithm, answers)


def _walk(node: Node, answers: Mapping[str, Answer]) -> str | None:
    if isinstance(node, str):
        return node
    if isinstance(node, Worst):
        parts = [_walk(part, answers) for part in node.parts]
        if any(part is None for part in parts):
            return None
        return max((p for p in parts if p is not None), key=node.order.index)
    answer = answers.get(node.question)
    for route_answers, then in node.routes:
        if answer in route_answers:
            return _walk(then, answers)
    return None


def overall(tool: Tool, domain_judgements: Iterable[str | None]) -> str | None:
    """The overall judgement the tool's rule proposes, or None while a domain has none."""
    judgements = list(domain_judgements)
    if not judgements or any(j is None for j in judgements):
        return None
    return _worst(tool.scale, [j for j in judgements if j is not None], tool.overall_rule)


def _worst(scale: Scale, judgements: list[str], rule: WorstRule) -> str:
    ranks = {j: scale.rank(scale.level(j).id) for j in judgements}
    ranked = [j for j in judgements if ranks[j] is not None]
    unranked = [j for j in judgements if ranks[j] is None]
    worst = max(ranked, key=lambda j: ranks[j] or 0) if ranked else None
    if worst is None:
        return unranked[0]
    limit = scale.rank(rule.unranked_below) if rule.unranked_below else None
    if unranked and limit is not None and (ranks[worst] or 0) < limit:
        return unranked[0]
    return worst


def with_official_text(tool: Tool, texts: Mapping[str, str]) -> Tool:
    """``tool`` with the official wording of its questions, from ``texts`` keyed by item number
    ("1.1"); a variant's own question is keyed "variant:number" ("adherence:2.3"), falling back to
    the plain number. Keys that match no question raise ValidationError (a typo would otherwise
    leave our label in silently)."""
    known = _text_keys(tool)
    unknown = sorted(set(texts) - known)
    if unknown:
        raise ValidationError(f"official text for unknown items: {', '.join(unknown)}")
    variants = tuple(
        dataclasses.replace(
            v,
            domains=MappingProxyType({k: _with_text(d, texts) for k, d in v.domains.items()}),
        )
        for v in tool.variants
    )
    domains = tuple(_with_text(d, texts) for d in tool.domains)
    triage = _with_text(tool.triage, texts) if tool.triage else None
    return dataclasses.replace(tool, domains=domains, variants=variants, triage=triage)


def _text_keys(tool: Tool) -> set[str]:
    domains = tool.every_domain()
    keys = {q.number for d in domains for q in d.questions}
    keys |= {f"{d.variant}:{q.number}" for d in domains if d.variant for q in d.questions}
    return keys


def _with_text(domain: Domain, texts: Mapping[str, str]) -> Domain:
    def text(question: Question) -> str | None:
        own = texts.get(f"{domain.variant}:{question.number}") if domain.variant else None
        return own or texts.get(question.number) or question.official_text

    questions = tuple(dataclasses.replace(q, official_text=text(q)) for q in domain.questions)
    return dataclasses.replace(domain, questions=questions)


def load_official_text(path: Path) -> dict[str, str]:
    """Item number -> official wording, from a file a team holds: TOML (``"1.1" = "..."``, or
    tables ``[adherence]`` with ``"2.3" = "..."``) or CSV with columns ``item`` and ``text``."""
    if path.suffix.lower() == ".toml":
        return _from_toml(path)
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    raise ValidationError(f"{path}: official text must be a .toml or .csv file")


def _from_toml(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"{path}: {error}") from error
    texts: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            texts.update({f"{key}:{k}": _text(path, f"{key}.{k}", v) for k, v in value.items()})
        else:
            texts[key] = _text(path, key, value)
    return texts


def _text(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{path}: {key} must be text")
    return value.strip()


def _from_csv(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"item", "text"} <= set(reader.fieldnames):
            raise ValidationError(f"{path}: columns item and text are needed")
        rows = [(row["item"].strip(), (row["text"] or "").strip()) for row in reader]
    return {item: text for item, text in rows if item and text}
