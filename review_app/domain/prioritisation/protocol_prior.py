"""A review's protocol as prior knowledge for the ranking: what it includes and excludes (pure).

``prior_from_protocol(protocol, texts=record_texts)`` gathers what the team wrote before screening
and the ranking can read in a title or abstract:

- include texts: the question; each PICO element with its lists (population and conditions,
  intervention and interventions, comparator and comparators, outcomes); the eligible designs;
  the text of each criterion judged at title and abstract; their include keywords;
- exclude texts: the sentences of those texts that say what is not eligible ("Not eligible: case
  reports, ...", "Animal studies ... are not eligible"), and the criteria's exclude keywords.

Choices, and why:

- Only the criteria judged at title and abstract: the ranking predicts title/abstract votes, and
  a full-text criterion (a comparator, an outcome) does not decide those.
- A sentence saying what is not eligible leaves the include texts: its words describe excluded
  records. It becomes an exclude text without the words the include texts use, because such a
  sentence names the excluded against the included ("other Mitragyna species or mixtures in which
  kratom's effect cannot be separated"): the question's own words must never count against a
  record. The same rule applies to exclude keywords.
- The exclusion reasons are not used: they name what is wrong by negating the question ("Wrong
  intervention (not kratom ...)"), so their words are mostly the include words.
- A keyword's ``*`` (``neuropath*``, the highlighting syntax of
  :mod:`review_app.domain.screening.keywords`) is replaced by the words of the records it matches
  (neuropathic, neuropathy, ...): the ranking's vocabulary is the records' words
  (``features.vectorise``), in which the stem alone is not found. Without ``texts`` the stem is
  kept, with the ``*`` dropped.

``prior_from_mapping`` reads the same two lists from a TOML table (``bench/priors/*.toml``:
``include = [...]``, ``exclude = [...]``) and applies the same rules to them, so that a benchmark
measures the prior the app would build.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from review_app.domain.prioritisation.prior import PriorKnowledge
from review_app.domain.screening.keywords import keyword_lists
from review_app.domain.vocabulary import Stage
from review_app.errors import ValidationError
from review_app.protocol import Protocol

__all__ = ["prior_from_mapping", "prior_from_protocol", "prior_from_texts", "split_exclusions"]

STAGE = Stage.TITLE_ABSTRACT  # the stage whose votes the ranking predicts

# A sentence ends at . ! ? followed by white space, except after "e.g." and "i.e.".
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!e\.g\.)(?<!i\.e\.)\s+")
# Says what is not eligible: "not eligible", "ineligible", "are excluded", "Exclusion: ...",
# "Exclude ...". Not "is included ..., not excluded".
_EXCLUSION = re.compile(
    r"\b(?:(?:is|are|were|will|shall|must)\s+)?(?:not\s+(?:be\s+)?eligible|ineligible)\b"
    r"|\b(?:is|are|be|were)\s+excluded\b"
    r"|^\s*(?:exclude|exclusions?(?:\s+criteria)?)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
_KEYWORD_TOKEN = re.compile(r"[\w*]+")


def prior_from_protocol(protocol: Protocol, *, texts: Sequence[str] = ()) -> PriorKnowledge:
    """The protocol's include and exclude texts (module doc); ``texts``: the records' texts, to
    expand the keywords' ``*`` into the words they match."""
    pico = protocol.pico
    include_keywords, exclude_keywords = keyword_lists(protocol, STAGE)
    written = [
        protocol.question,
        _with_list(pico.population, pico.conditions),
        _with_list(pico.intervention, pico.interventions),
        _with_list(pico.comparator, pico.comparators),
        pico.outcomes,
        "; ".join(protocol.designs),
        *(criterion.text for criterion in protocol.criteria_for(STAGE)),
    ]
    include, exclude = [], []
    for text in written:
        eligible, not_eligible = split_exclusions(text)
        include += [eligible] if eligible else []
        exclude += not_eligible
    return prior_from_texts(
        [*include, "; ".join(include_keywords)],
        [*exclude, "; ".join(exclude_keywords)],
        texts=texts,
    )


def prior_from_texts(
    include: Iterable[str], exclude: Iterable[str], *, texts: Sequence[str] = ()
) -> PriorKnowledge:
    """Include and exclude texts as a ``PriorKnowledge``: each keyword's ``*`` expanded against
    the words of ``texts``, and each exclude text without the words of the include texts."""
    words = _words_of(texts)
    include_texts = tuple(t for t in (_expand(text, words) for text in include) if t)
    eligible_words = {w for text in include_texts for w in _WORD.findall(text.casefold())}
    exclude_texts = tuple(
        kept for text in exclude if (kept := _without(_expand(text, words), eligible_words))
    )
    return PriorKnowledge(include_texts, exclude_texts)


def prior_from_mapping(
    data: Mapping[str, object], *, source: str, texts: Sequence[str] = ()
) -> PriorKnowledge:
    """A prior from a table ``{"include": [text, ...], "exclude": [text, ...]}`` (a TOML file
    read with ``tomllib``); ``source`` names it in errors. ``include`` is required."""
    unknown = sorted(set(data) - {"include", "exclude"})
    if unknown:
        raise ValidationError(
            f"{source}: unknown key(s) {', '.join(unknown)}; allowed: include, exclude"
        )
    if "include" not in data:
        raise ValidationError(f"{source}: 'include' is required (a list of texts)")
    include = _text_list(data["include"], source=source, key="include")
    exclude = _text_list(data.get("exclude", []), source=source, key="exclude")
    return prior_from_texts(include, exclude, texts=texts)


def split_exclusions(text: str) -> tuple[str, list[str]]:
    """(the sentences of ``text`` about what is eligible, joined; those about what is not)."""
    eligible, not_eligible = [], []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        if not sentence:
            continue
        if _EXCLUSION.search(sentence):  # what it excludes, without "are not eligible"
            not_eligible.append(" ".join(_EXCLUSION.sub(" ", sentence).split()))
        else:
            eligible.append(sentence)
    return " ".join(eligible), not_eligible


def _with_list(text: str, items: Sequence[str]) -> str:
    return "; ".join([text.strip(), *items]) if items else text.strip()


def _words_of(texts: Sequence[str]) -> str:
    """The distinct words of ``texts``, case-folded, one per line (searched with ``^...$``)."""
    if not texts:
        return ""
    tokens: set[str] = set()
    for text in texts:  # str.split, then a regex per distinct token: 20 x faster than per text
        tokens.update(text.casefold().split())
    distinct = {word for token in tokens for word in _WORD.findall(token)}
    return "\n".join(sorted(distinct))


def _expand(text: str, words: str) -> str:
    """``text`` with every word holding a ``*`` replaced by the words of ``words`` it matches
    (``*`` = any run of letters or digits), or by itself without the ``*`` when none does."""
    if "*" not in text:
        return " ".join(text.split())

    def expansion(match: re.Match[str]) -> str:
        token = match.group()
        if "*" not in token:
            return token
        pattern = r"\w*".join(re.escape(part) for part in token.casefold().split("*"))
        found = re.findall(rf"^{pattern}$", words, re.MULTILINE) if words else []
        return " ".join(found) if found else token.replace("*", "")

    return " ".join(_KEYWORD_TOKEN.sub(expansion, text).split())


def _without(text: str, eligible_words: set[str]) -> str:
    """``text``'s words except those of ``eligible_words``, in the singular or plural too."""

    def is_eligible(word: str) -> bool:
        forms = {word, f"{word}s", f"{word}es", word.removesuffix("s"), word.removesuffix("es")}
        return not forms.isdisjoint(eligible_words)

    return " ".join(w for w in _WORD.findall(text) if not is_eligible(w.casefold()))


def _text_list(value: object, *, source: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"{source}: '{key}' must be a list of texts, e.g. {key} = [\"...\"]")
    blank = [i for i, item in enumerate(value) if not item.strip()]
    if blank:
        raise ValidationError(f"{source}: {key}[{blank[0]}] is empty; write the text or remove it")
    return list(value)
