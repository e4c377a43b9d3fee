"""Whether a file's issue column holds issues: judged per file, once every record is read.

Some exports name a column ``number`` or ``issue`` and fill it with something else (EndNote's
record numbers in Rathbone's respiratory set: 1,112, 1,113, ...). Read as issues, they make two
copies of one article disagree on a field deduplication compares. Real issues repeat: a
journal has a few issues a year, so even a file of many journals holds the same small numbers
again and again. A column whose values are mostly distinct integers, some beyond any issue a
journal of the field prints in a year, is record numbers: the file's ``issue`` field is left
empty (the value stays in the record's raw fields) and the import says so.

    >>> tally = IssueTally()
    >>> for number in range(1_000, 1_060):
    ...     tally.add(str(number))
    >>> print(tally.verdict(source="records.csv"))  # doctest: +ELLIPSIS
    records.csv: issue: 60 of 60 values distinct, largest 1,059: read as record numbers, not ...
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from review_app.importers.record import RecordIn

# A judgement needs enough values: a short file of a few journals may hold distinct issues.
MIN_VALUES = 50
# Real issue columns repeat: over 2,000 records of a multi-journal search, under a tenth of the
# values are distinct (shared exports); record numbers are all distinct.
MAX_DISTINCT_SHARE = 0.8
# Beyond this, a value is no monthly or weekly issue; a few weeklies (BMJ, Lancet) number
# their issues in thousands, but a file from them alone repeats its issues too.
LARGEST_ISSUE = 100
# Record numbers are integers; issues such as "3 Suppl", "1-2" or "S1" are kept as issues.
MIN_INTEGER_SHARE = 0.9


@dataclass(slots=True)
class IssueTally:
    """The issue values of one file, counted as its records are read (streamed or not)."""

    counts: Counter[str] = field(default_factory=Counter)
    integers: int = 0
    largest: int = 0
    column: str = "issue"  # the file's name for it: the first raw field holding the value

    def add_record(self, record: RecordIn) -> None:
        """Count the record's issue, and learn which of the file's fields it came from."""
        if record.issue is not None and not self.counts:
            self.column = next(
                (str(key) for key, value in record.raw.items() if value == record.issue), "issue"
            )
        self.add(record.issue)

    def add(self, issue: str | None) -> None:
        """Count one record's issue value (None for a record without one)."""
        if issue is None:
            return
        self.counts[issue] += 1
        if issue.isdigit():
            self.integers += 1
            self.largest = max(self.largest, int(issue))

    @property
    def values(self) -> int:
        return sum(self.counts.values())

    def is_implausible(self) -> bool:
        """Mostly distinct integers, some larger than an issue: record numbers, not issues."""
        values = self.values
        return (
            values >= MIN_VALUES
            and len(self.counts) >= MAX_DISTINCT_SHARE * values
            and self.integers >= MIN_INTEGER_SHARE * values
            and self.largest > LARGEST_ISSUE
        )

    def verdict(self, *, source: str) -> str | None:
        """The import's warning when the column is not trusted as issues; None when it is."""
        if not self.is_implausible():
            return None
        return (
            f"{source}: {self.column}: {len(self.counts):,} of {self.values:,} values distinct, "
            f"largest {self.largest:,}: read as record numbers, not used as issues "
            "(kept with each record's raw fields)"
        )
