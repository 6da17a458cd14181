"""Write a report document as DOCX (python-docx) the way a Chinese government office expects it.

A4 with the GB/T 9704 margins; body in 宋体 with Times New Roman for Latin text, headings and the title in 黑体
with Arial, black, real ``Heading 1..3`` styles (so Word and WPS build a navigation pane and a table of
contents). python-docx sets only the Latin font name, so the East Asian one is written into ``w:rFonts
w:eastAsia`` directly and the theme-font attributes that would override it are removed.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from resonance.reports.types import NESTED, Bullets, Chart, Document, Paragraph, Table

BODY_FONT = ("Times New Roman", "宋体")
HEADING_FONT = ("Arial", "黑体")
HEADING_SIZES = {1: 16, 2: 14, 3: 12}  # 三号, 四号, 小四
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(element: object, latin: str, east_asian: str) -> None:
    """Set the Latin and East Asian font of a style or run element (its ``w:rPr/w:rFonts``)."""
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in _THEME_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asian)):
        fonts.set(qn(attr), value)


def _style_fonts(style: object, fonts: tuple[str, str], size: float, bold: bool | None = None) -> None:
    style.font.name = fonts[0]  # type: ignore[attr-defined]
    style.font.size = Pt(size)  # type: ignore[attr-defined]
    style.font.color.rgb = RGBColor(0, 0, 0)  # type: ignore[attr-defined]
    if bold is not None:
        style.font.bold = bold  # type: ignore[attr-defined]
    set_fonts(style.element, *fonts)  # type: ignore[attr-defined]


def _set_language(style: object, lang: str) -> None:
    rpr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    tag = rpr.find(qn("w:lang"))
    if tag is None:
        tag = OxmlElement("w:lang")
        rpr.append(tag)
    tag.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    tag.set(qn("w:eastAsia"), "zh-CN")


def _prepare(doc: object, lang: str) -> None:
    styles = doc.styles  # type: ignore[attr-defined]
    normal = styles["Normal"]
    _style_fonts(normal, BODY_FONT, 12)
    _set_language(normal, lang)
    normal.paragraph_format.line_spacing = 1.3
    normal.paragraph_format.space_after = Pt(4)
    for level, size in HEADING_SIZES.items():
        style = styles[f"Heading {level}"]
        _style_fonts(style, HEADING_FONT, size, bold=level > 1)
        style.font.italic = False
        style.paragraph_format.space_before = Pt(12 if level == 1 else 8)
        style.paragraph_format.space_after = Pt(6)
    title = styles["Title"]
    _style_fonts(title, HEADING_FONT, 22, bold=False)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # the default template draws a blue rule under the title: drop its paragraph border
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    _style_fonts(styles["Caption"], HEADING_FONT, 10.5, bold=False)
    styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name in ("List Bullet", "List Bullet 2"):
        _style_fonts(styles[name], BODY_FONT, 12)
    section = doc.sections[0]  # type: ignore[attr-defined]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _page_number(section)


def _page_number(section: object) -> None:
    paragraph = section.footer.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def _cell_text(value: object) -> str:
    return "" if value is None else str(value)


def _repeat_header(row: object) -> None:
    trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    trpr.append(flag)


def _shade(cell: object, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tcpr.append(shading)


def _write_cell(cell: object, text: str, bold: bool, size: float) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.1
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if bold:
        set_fonts(run._r, *HEADING_FONT)


def _table(doc: object, table: Table) -> None:
    if table.title:
        caption = doc.add_paragraph(table.title, style="Caption")  # type: ignore[attr-defined]
        caption.paragraph_format.keep_with_next = True  # never a caption alone at the foot of a page
    grid = doc.add_table(rows=1, cols=len(table.headers))  # type: ignore[attr-defined]
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = 9 if len(table.headers) > 4 else 10.5
    header = grid.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, table.headers, strict=True):
        _write_cell(cell, text, True, size)
        _shade(cell, "D9D9D9")
    for values in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            _write_cell(cell, _cell_text(value), False, size)
    widths = [w or 10 for w in table.widths] if table.widths else [10] * len(table.headers)
    total = sum(widths)
    usable = 15.6  # cm between the margins
    # Word reads the cells' widths, LibreOffice the grid's: set both, and switch autofit off
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Cm(usable * width / total)
    for row in grid.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(usable * width / total)
    doc.add_paragraph()  # type: ignore[attr-defined]


def write_docx(document: Document, path: Path) -> Path:
    doc = new_document()
    _prepare(doc, document.lang)
    doc.core_properties.title = document.title
    doc.core_properties.author = "Resonance Space 模数共振空间"
    doc.core_properties.language = "zh-CN" if document.lang == "zh" else "en-GB"
    doc.add_paragraph(document.title, style="Title")
    if document.subtitle:
        sub = doc.add_paragraph(document.subtitle)
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in document.sections:
        doc.add_heading(section.title, level=section.level)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                paragraph = doc.add_paragraph(block.text)
                if block.note:
                    for run in paragraph.runs:
                        run.font.size = Pt(10.5)
                else:
                    paragraph.paragraph_format.first_line_indent = Pt(24)  # 首行缩进两字
            elif isinstance(block, Bullets):
                for item in block.items:
                    nested = item.startswith(NESTED)
                    text = item.removeprefix(NESTED).strip()
                    doc.add_paragraph(text, style="List Bullet 2" if nested else "List Bullet")
            elif isinstance(block, Table):
                _table(doc, block)
            elif isinstance(block, Chart):
                doc.add_picture(str(block.path), width=Cm(15.0))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                doc.add_paragraph(block.title, style="Caption")
    doc.save(str(path))
    return path
