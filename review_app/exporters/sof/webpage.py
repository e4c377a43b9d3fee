"""The Summary-of-Findings table or the evidence profile as one standalone HTML page: inline CSS,
no script, no outside file; printable on landscape A4 (``@page``) and readable by screen
readers (a caption, header cells with their scope, one row group per outcome, footnote numbers
that link to their footnote)."""

from __future__ import annotations

from html import escape

from review_app.domain.grade.model import SofTable
from review_app.domain.grade.text import GRADES_HEADING
from review_app.exporters.sof.layout import (
    Cell,
    Grid,
    Notes,
    Scope,
    profile_grid,
    question_lines,
    sof_grid,
    status_line,
    table_notes,
)

STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: Arial, "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 9pt;
  color: #000; margin: 12px; max-width: 273mm; }
h1 { font-size: 12pt; margin: 0 0 6px; }
p { margin: 2px 0; }
.status { font-style: italic; margin-bottom: 6px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
caption { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
th, td { border: 1px solid #000; padding: 2px 4px; vertical-align: top; text-align: center;
  overflow-wrap: break-word; hyphens: auto; }
thead th { background: #d9e2f3; font-size: 8pt; }
tbody th { font-weight: bold; }
.wide { text-align: left; }
.title { background: #f2f2f2; text-align: left; }
sup { line-height: 0; }
sup a { color: inherit; text-decoration: none; }
.notes { margin-top: 8px; }
.notes h2 { font-size: 9pt; margin: 6px 0 2px; }
.notes ol { margin: 0; padding-left: 18px; }
tbody { break-inside: avoid; }
thead { display: table-header-group; }
@media print { body { margin: 0; } }
"""


def sof_html(table: SofTable, *, profile: bool = False) -> bytes:
    """The page's bytes (UTF-8)."""
    kind = "Evidence profile" if profile else "Summary of findings"
    grid = profile_grid(table) if profile else sof_grid(table)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(kind)}: {escape(table.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(kind)}: {escape(table.title)}</h1>",
        *_question(table, profile=profile),
        _table(grid, f"{kind}: {table.title}", profile=profile),
        _notes(table_notes(table, profile=profile)),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts).encode("utf-8")


def _question(table: SofTable, *, profile: bool) -> list[str]:
    pairs = [("Question", table.question)] if profile and table.question.strip() else []
    lines = [
        f"<p><strong>{escape(label)}:</strong> {escape(text)}</p>"
        for label, text in [*pairs, *question_lines(table)]
    ]
    return [*lines, f'<p class="status">{escape(status_line(table))}</p>']


def _table(grid: Grid, caption: str, *, profile: bool) -> str:
    columns = "".join(
        f'<col style="width:{100 * share / sum(grid.widths):.2f}%">' for share in grid.widths
    )
    head = "".join(f"<tr>{''.join(_cell(c) for c in row)}</tr>" for row in grid.header)
    bodies = "".join(
        "<tbody>"
        + "".join(
            "<tr>"
            + "".join(_cell(c, title=profile and c.colspan == grid.columns) for c in row)
            + "</tr>"
            for row in group
        )
        + "</tbody>"
        for group in grid.groups
    )
    return (
        f"<table><caption>{escape(caption)}</caption><colgroup>{columns}</colgroup>"
        f"<thead>{head}</thead>{bodies}</table>"
    )


def _cell(item: Cell, *, title: bool = False) -> str:
    """A header cell (``th`` with its scope) or a data cell, its footnote numbers linked."""
    tag = "th" if item.scope is not None else "td"
    attributes = []
    if item.colspan > 1:
        attributes.append(f'colspan="{item.colspan}"')
    if item.rowspan > 1:
        attributes.append(f'rowspan="{item.rowspan}"')
    if item.scope is not None:
        scope = "rowgroup" if item.scope is Scope.ROW else item.scope.value
        attributes.append(f'scope="{scope}"')
    classes = [name for name, on in (("wide", item.wide), ("title", title)) if on]
    if classes:
        attributes.append(f'class="{" ".join(classes)}"')
    text = "<br>".join(escape(line) for line in item.lines)
    marks = ",<wbr>".join(f'<a href="#note-{n}">{n}</a>' for n in item.marks)
    inner = text + (f"<sup>{marks}</sup>" if marks else "")
    opening = " ".join([tag, *attributes])
    return f"<{opening}>{inner}</{tag}>"


def _notes(notes: Notes) -> str:
    parts = ['<div class="notes">']
    parts += [f"<p>{escape(text)}</p>" for text in (notes.explanation, notes.abbreviations) if text]
    parts.append(f"<h2>{escape(GRADES_HEADING)}</h2>")
    for grade in notes.grades:
        label, _, meaning = grade.partition(":")
        parts.append(f"<p><strong>{escape(label)}:</strong>{escape(meaning)}</p>")
    if notes.footnotes:
        parts.append("<h2>Explanations</h2><ol>")
        parts += [
            f'<li id="note-{n}">{escape(text)}</li>'
            for n, text in enumerate(notes.footnotes, start=1)
        ]
        parts.append("</ol>")
    parts.append("</div>")
    return "".join(parts)
