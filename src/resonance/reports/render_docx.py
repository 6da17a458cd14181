"""Write a report document as DOCX (python-docx) the way a Chinese government office expects it.

A4 with the GB/T 9704 margins; body in 宋体 with Times New Roman for Latin text, headings and the title in 黑体
with Arial, black, real ``Heading 1..3`` styles (so Word and WPS build a navigation pane and a table of
contents). python-docx sets only the Latin font name, so the East Asian one is written into ``w:rFonts
w:eastAsia`` directly and the theme-font attributes that would override it are removed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor, Twips

from resonance.reports.types import NESTED, Bullets, Chart, Document, Paragraph, Table

BODY_FONT = ("Times New Roman", "宋体")
HEADING_FONT = ("Arial", "黑体")
HEADING_SIZES = {1: 16, 2: 14, 3: 12}  # 三号, 四号, 小四
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(element: Any, latin: str, east_asian: str) -> None:
    """Set the Latin and East Asian font of a style or run element (its ``w:rPr/w:rFonts``)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in _THEME_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asian)):
        fonts.set(qn(attr), value)


def _style_fonts(style: Any, fonts: tuple[str, str], size: float, bold: bool | None = None) -> None:
    style.font.name = fonts[0]
    style.font.size = Pt(size)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if bold is not None:
        style.font.bold = bold
    set_fonts(style.element, *fonts)


def _set_language(style: Any, lang: str) -> None:
    rpr = style.element.get_or_add_rPr()
    tag = rpr.find(qn("w:lang"))
    if tag is None:
        tag = OxmlElement("w:lang")
        rpr.append(tag)
    tag.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    tag.set(qn("w:eastAsia"), "zh-CN")


def _prepare(doc: DocxDocument, lang: str) -> None:
    styles = doc.styles
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
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _page_number(section)


def _page_number(section: Any) -> None:
    paragraph = section.footer.paragraphs[0]
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


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML: dropped from registry text


def _runs(value: object, size_half_points: int, bold: bool) -> str:
    """The ``w:r`` elements of one cell's text; line breaks become ``w:br``."""
    text = _CONTROL.sub("", "" if value is None else str(value))
    props = f'<w:sz w:val="{size_half_points}"/><w:szCs w:val="{size_half_points}"/>'
    if bold:
        latin, east = (escape(name, {'"': "&quot;"}) for name in HEADING_FONT)
        props = f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:cs="{latin}" w:eastAsia="{east}"/><w:b/>' + props
    lines = text.split("\n")
    body = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)
    return f"<w:r><w:rPr>{props}</w:rPr>{body}</w:r>"


def _row_xml(values: list[object], twips: list[int], size: int, header: bool) -> str:
    """One ``w:tr`` as XML text: building rows through python-docx's cell objects costs ~30 ms a row."""
    cells = []
    for value, width in zip(values, twips, strict=True):
        shading = '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>' if header else ""
        cells.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shading}</w:tcPr>'
            '<w:p><w:pPr><w:spacing w:after="0" w:line="264" w:lineRule="auto"/></w:pPr>'
            f"{_runs(value, size, header)}</w:p></w:tc>"
        )
    row_props = '<w:trPr><w:tblHeader w:val="true"/></w:trPr>' if header else ""
    return f"<w:tr {nsdecls('w')}>{row_props}{''.join(cells)}</w:tr>"


def _table(doc: DocxDocument, table: Table) -> None:
    if table.title:
        caption = doc.add_paragraph(table.title, style="Caption")
        caption.paragraph_format.keep_with_next = True  # never a caption alone at the foot of a page
    grid = doc.add_table(rows=0, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = 18 if len(table.headers) > 4 else 21  # half-points: 9 pt (小五) or 10.5 pt (五号)
    widths = [w or 10 for w in table.widths] if table.widths else [10] * len(table.headers)
    usable = 15.6  # cm between the margins
    twips = [round(usable * w / sum(widths) * 567) for w in widths]
    # Word reads the cells' widths, LibreOffice the grid's: set both, and switch autofit off
    grid.autofit = False
    for column, width in zip(grid.columns, twips, strict=True):
        column.width = Twips(width)
    tbl = grid._tbl
    tbl.append(parse_xml(_row_xml(list(table.headers), twips, size, header=True)))
    for values in table.rows:
        tbl.append(parse_xml(_row_xml(list(values), twips, size, header=False)))
    doc.add_paragraph()


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
