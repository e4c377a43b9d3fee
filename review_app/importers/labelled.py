"""Labelled screening datasets for ``review-app simulate``: title, abstract, label_included."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from review_app.errors import ImportFileError, Problem
from review_app.importers.decoding import decode

LABEL_COLUMNS = ("label_included", "included")  # the contract's name first; ASReview sets use both


@dataclass(frozen=True, slots=True)
class LabelledDataset:
    titles: list[str]
    abstracts: list[str]
    keywords: list[str] | None
    labels: list[int]


def read_labelled_csv(data: bytes, *, filename: str) -> LabelledDataset:
    """Rows of title, abstract (and keywords) with a 1/0 label; every bad row is reported."""
    text = decode(data, source=filename).text
    reader = csv.DictReader(io.StringIO(text))
    columns = {name.strip().lower(): name for name in reader.fieldnames or []}
    label_column = next((columns[c] for c in LABEL_COLUMNS if c in columns), None)
    missing = [c for c in ("title", "abstract") if c not in columns]
    if missing or label_column is None:
        need = ", ".join([*missing, *([] if label_column else ["label_included"])])
        raise ImportFileError(
            [
                Problem(
                    filename,
                    f"missing column(s) {need}; a dataset needs "
                    "title, abstract and label_included (1/0)",
                    line=1,
                )
            ]
        )
    titles, abstracts, keywords, labels, problems = [], [], [], [], []
    for line, row in enumerate(reader, start=2):
        value = (row.get(label_column) or "").strip()
        if value not in ("0", "1", "0.0", "1.0"):
            problems.append(
                Problem(
                    filename,
                    f"{label_column} is {value!r}; allowed: 1 or 0",
                    line=line,
                    field=label_column,
                )
            )
            continue
        titles.append(row.get(columns["title"]) or "")
        abstracts.append(row.get(columns["abstract"]) or "")
        keywords.append(row.get(columns["keywords"]) or "" if "keywords" in columns else "")
        labels.append(int(float(value)))
    if problems:
        raise ImportFileError(
            problems, summary=f"{filename}: {len(problems)} row(s) without a 1/0 label"
        )
    if 1 not in labels or 0 not in labels:
        raise ImportFileError(
            [
                Problem(
                    filename,
                    "a simulation needs at least one included (1) and one excluded (0) record",
                )
            ]
        )
    return LabelledDataset(titles, abstracts, keywords if "keywords" in columns else None, labels)
