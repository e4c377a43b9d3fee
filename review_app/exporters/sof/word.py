"""The Summary-of-Findings table or the evidence profile as a Word document (python-docx): a real
table a journal's editorial system accepts, text not pictures, on landscape A4, the header rows
repeated on every page and each outcome's rows kept together, 9 pt text, footnote numbers as
superscripts, then GRADEpro's notes and the numbered footnotes."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from review_app.domain.grade.model import SofTable
from review_app.domain.grade.text import GRADES_HEADING
from review_app.exporters.sof.layout import (
    Cell,
    Grid,
    Notes,
    placed,
    profile_grid,
    question_lines,
    sof_grid,
    status_line,
    table_notes,
)

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table, _Cell

FONT = "Arial"
TEXT_PT = 9  # the table's text; GRADEpro's Word export uses 8-10 pt
HEADER_PT = 8  # the header rows, so that "Inconsistency" fits its column
TITLE_PT = 12
PAGE_MM = (297, 210)  # A4 landscape
MARGIN_MM = 15
HEADER_FILL = "D9E2F3"  # a light blue behind the header rows, as GRADEpro's
CELL_MARGIN_TWIPS = 57  # 1 mm
TITLE_FILL = "F2F2F2"  # behind an evidence profile's outcome title row


def sof_docx(table: SofTable, *, profile: bool = False) -> bytes:
    """The table as a .docx file's bytes."""
    from docx import Document as new_document  # here: python-docx loads lxml

    document = new_document()
    _page(document)
    _heading(document, table, profile=profile)
    grid = profile_grid(table) if profile else sof_grid(table)
    _table(document, grid, profile=profile)
    _notes(document, table_notes(table, profile=profile))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page(document: Document) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(TEXT_PT)
    normal.paragraph_format.space_after = Pt(2)


def _heading(document: Document, table: SofTable, *, profile: bool) -> None:
    from docx.shared import Pt

    kind = "Evidence profile" if profile else "Summary of findings"
    title = document.add_paragraph()
    run = title.add_run(f"{kind}: {table.title}")
    run.bold, run.font.size = True, Pt(TITLE_PT)
    if profile and table.question.strip():
        _labelled(document, "Question", table.question)
    for label, text in question_lines(table):
        _labelled(document, label, text)
    document.add_paragraph(status_line(table)).runs[0].italic = True


def _labelled(document: Document, label: str, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_after = 0
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(text)


def _table(document: Document, grid: Grid, *, profile: bool) -> None:
    from docx.shared import Mm

    rows = [*grid.header, *(row for group in grid.groups for row in group)]
    word = document.add_table(rows=len(rows), cols=grid.columns)
    word.style = document.styles["Table Grid"]
    word.autofit = False
    usable = PAGE_MM[0] - 2 * MARGIN_MM
    widths = [Mm(usable * share / sum(grid.widths)) for share in grid.widths]
    for column, width in zip(word.columns, widths, strict=True):
        column.width = width
        for each in column.cells:
            each.width = width
    for r, c, item in placed(rows, grid.columns):
        target = word.cell(r, c)
        if item.colspan > 1 or item.rowspan > 1:
            target = target.merge(word.cell(r + item.rowspan - 1, c + item.colspan - 1))
        fill = HEADER_FILL if r < len(grid.header) else None
        if profile and item.colspan == grid.columns:
            fill = TITLE_FILL
        _write(target, item, header=r < len(grid.header), fill=fill)
    _rows_behave(word, len(grid.header), [len(group) for group in grid.groups])
    _cell_margins(word)


def _write(target: _Cell, item: Cell, *, header: bool, fill: str | None) -> None:
    """The cell's lines as paragraphs, bold in headers, the footnote numbers superscript."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    target.text = ""
    for extra in target.paragraphs[1:]:  # a merge leaves the merged cells' empty paragraphs
        extra._p.getparent().remove(extra._p)
    for i, line in enumerate(item.lines):
        paragraph = target.paragraphs[0] if i == 0 else target.add_paragraph()
        paragraph.paragraph_format.space_after = 0
        if not item.wide:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(line)
        run.bold = header or item.scope is not None
        if header:
            run.font.size = Pt(HEADER_PT)
    if item.marks:
        mark = target.paragraphs[-1].add_run(",".join(str(n) for n in item.marks))
        mark.font.superscript = True
    if fill:
        _shade(target, fill)


def _shade(target: _Cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    target._tc.get_or_add_tcPr().append(shading)


def _rows_behave(word: Table, header_rows: int, group_sizes: list[int]) -> None:
    """Header rows repeat on each page; no row breaks across pages; an outcome's rows stay
    on one page (each but its last keeps with the next)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for i, row in enumerate(word.rows):
        properties = row._tr.get_or_add_trPr()
        flags = ["w:cantSplit"] + (["w:tblHeader"] if i < header_rows else [])
        for flag in flags:
            element = OxmlElement(flag)
            element.set(qn("w:val"), "true")
            properties.append(element)
    start = header_rows
    for size in group_sizes:
        for row in word.rows[start : start + size - 1]:
            for each in row.cells:
                for paragraph in each.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
        start += size


def _cell_margins(word: Table) -> None:
    """Narrower left and right cell margins than Word's 1.9 mm, so that "Inconsistency" fits
    its column at 8 pt."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties = word._tbl.tblPr
    look = properties.find(qn("w:tblLook"))  # the schema puts the margins before tblLook
    if look is None:
        properties.append(margins)
    else:
        look.addprevious(margins)


def _notes(document: Document, notes: Notes) -> None:
    from docx.shared import Pt

    document.add_paragraph()
    for text in (notes.explanation, notes.abbreviations):
        if text:
            document.add_paragraph(text)
    heading = document.add_paragraph()
    heading.add_run(GRADES_HEADING).bold = True
    for grade in notes.grades:
        label, _, meaning = grade.partition(":")
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = 0
        paragraph.add_run(f"{label}:").bold = True
        paragraph.add_run(meaning)
    if notes.footnotes:
        document.add_paragraph().add_run("Explanations").bold = True
        for number, text in enumerate(notes.footnotes, start=1):
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(1)
            paragraph.add_run(str(number)).font.superscript = True
            paragraph.add_run(f" {text}")
