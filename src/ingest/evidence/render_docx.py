"""The evidence report as a Word document fit for an official report (python-docx).

What an office expects of a document it binds into a report: A4 pages with a wide left margin
for binding (3 cm, the Vietnamese administrative layout), a title page (initiatives, period,
when it was generated, from which knowledge-base version), a table of contents, page numbers,
tables with sized columns, and every URL and archive link clickable. Articles are numbered
within their story, so "story 6, article 2" points at one article in every format.

The table of contents is a Word TOC field whose current text is already filled in (each entry
links to its heading), so it reads correctly in any viewer; Word refreshes its page numbers
when the document is opened (`updateFields`).

python-docx has no API for hyperlinks, bookmarks or fields; they are written as the few
WordprocessingML elements they are (`_hyperlink`, `_bookmark`, `_field`). Text from older
rows may hold characters XML cannot carry (`\\x0b`, `\\x1b`): they are dropped, not fatal.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .labels import (
    L,
    agencies_of,
    agency_names,
    coverage_text,
    heading,
    kind_label,
    period_text,
    published_text,
    role_text,
    totals_text,
)
from .period import format_date_vi
from .report import ArticleEntry, InitiativeSection, Report, StoryEntry

FONT = "Times New Roman"
PAGE_CM = (21.0, 29.7)  # A4
MARGINS_CM = {"top": 2.0, "bottom": 2.0, "left": 3.0, "right": 2.0}  # left: binding
TEXT_WIDTH_CM = PAGE_CM[0] - MARGINS_CM["left"] - MARGINS_CM["right"]
NO_WIDTH_CM = 1.8  # the article number column
LINK_COLOR = "0563C1"
# Characters XML 1.0 cannot hold (python-docx refuses them) and terminal escape sequences.
_XML_BAD = re.compile(
    "\x1b\\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]"
)


def xml_text(value: object) -> str:
    return _XML_BAD.sub("", "" if value is None else str(value))


class _Doc:
    """One document being written, with its bookmark counter and the TOC entries it needs."""

    def __init__(
        self,
        report: Report,
        charts: dict[str, bytes] | None,
        check: Callable[[], None] | None = None,
    ) -> None:
        from docx import Document

        self.report, self.charts = report, charts or {}
        self.check = check or (lambda: None)
        self.doc = Document()
        self.bookmarks = 0
        self.toc: list[tuple[int, str, str]] = []  # (level, text, bookmark)
        self.link_ids: dict[tuple[int, str], str] = {}
        self.style_ids: dict[str, str] = {}
        self.sect_pr = self.doc.element.body.get_or_add_sectPr()  # the body's last element

    # -- low-level WordprocessingML ---------------------------------------------------------

    def _run_props(self, run: Any, size: float | None = None, mono: bool = False) -> None:
        from docx.shared import Pt

        if mono:
            run.font.name = "DejaVu Sans Mono"
            run.font.size = Pt(8)
        elif size:
            run.font.size = Pt(size)

    def hyperlink(self, paragraph: Any, url: str, text: str | None = None) -> None:
        """A clickable external link (or internal, to a bookmark, when `url` starts with #)."""
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        link = OxmlElement("w:hyperlink")
        if url.startswith("#"):
            link.set(qn("w:anchor"), url[1:])
        else:
            # python-docx's relate_to scans every relationship per call (quadratic over a
            # report's thousands of links); ids of our own, remembered per URL, are not
            part = paragraph.part
            key = (id(part), url)
            if key not in self.link_ids:
                rid = f"rIdKb{len(self.link_ids) + 1}"
                part.rels.add_relationship(RT.HYPERLINK, url, rid, is_external=True)
                self.link_ids[key] = rid
            link.set(qn("r:id"), self.link_ids[key])
        run = OxmlElement("w:r")
        props = OxmlElement("w:rPr")
        color = OxmlElement("w:color")
        color.set(qn("w:val"), LINK_COLOR)
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        props.extend([color, underline])
        run.append(props)
        t = OxmlElement("w:t")
        t.text = xml_text(text if text is not None else url)
        t.set(qn("xml:space"), "preserve")
        run.append(t)
        link.append(run)
        paragraph._p.append(link)

    def bookmark(self, paragraph: Any) -> str:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        self.bookmarks += 1
        name = f"_kb{self.bookmarks}"
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(self.bookmarks))
        start.set(qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(self.bookmarks))
        paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
        paragraph._p.append(end)
        return name

    @staticmethod
    def _field(paragraph: Any, instruction: str, kind: str) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        def char(t: str) -> Any:
            r = OxmlElement("w:r")
            f = OxmlElement("w:fldChar")
            f.set(qn("w:fldCharType"), t)
            r.append(f)
            return r

        if kind in ("begin", "simple"):
            paragraph._p.append(char("begin"))
            r = OxmlElement("w:r")
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            r.append(instr)
            paragraph._p.append(r)
            paragraph._p.append(char("separate"))
        if kind in ("end", "simple"):
            paragraph._p.append(char("end"))

    # -- building blocks --------------------------------------------------------------------
    # python-docx's add_paragraph / add_table look for the body's last element and resolve the
    # style by name on every call, which is quadratic over a report of thousands of articles;
    # the body's elements are appended before its sectPr directly, with style ids looked up once.

    def _style_id(self, name: str) -> str:
        if name not in self.style_ids:
            self.style_ids[name] = self.doc.styles[name].style_id
        return self.style_ids[name]

    def _append(self, element: Any) -> None:
        self.sect_pr.addprevious(element)

    def new_paragraph(self, style: str | None = None) -> Any:
        from docx.oxml import OxmlElement
        from docx.text.paragraph import Paragraph

        p = OxmlElement("w:p")
        self._append(p)
        if style:
            p.style = self._style_id(style)
        return Paragraph(p, self.doc._body)

    def page_break(self) -> None:
        from docx.enum.text import WD_BREAK

        self.new_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def heading(self, text: str, level: int, toc: bool = True) -> Any:
        p = self.new_paragraph("Title" if level == 0 else f"Heading {level}")
        p.add_run(xml_text(text))
        if toc and level >= 1:
            self.toc.append((level, xml_text(text), self.bookmark(p)))
        return p

    def para(self, text: str = "", style: str | None = None, bold: bool = False) -> Any:
        p = self.new_paragraph(style)
        if text:
            p.add_run(xml_text(text)).bold = bold
        if bold:  # a caption stays with the table or chart it introduces
            p.paragraph_format.keep_with_next = True
        return p

    def labelled(self, cell: Any | None, label: str, value: str | None = None) -> Any:
        p = cell.add_paragraph() if cell is not None else self.new_paragraph()
        p.add_run(xml_text(label) + ": ").bold = True
        if value is not None:
            p.add_run(xml_text(value))
        return p

    def table(self, header: list[str], rows: list[list[object]], widths: list[float]) -> Any:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.oxml.table import CT_Tbl
        from docx.shared import Cm
        from docx.table import Table

        tbl = CT_Tbl.new_tbl(1, len(header), Cm(TEXT_WIDTH_CM))
        self._append(tbl)
        tbl.tblPr.style = self._style_id("Table Grid")
        t = Table(tbl, self.doc._body)
        t.alignment = WD_TABLE_ALIGNMENT.LEFT
        t.autofit = False
        for cell, h in zip(t.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(xml_text(h)).bold = True
        _repeat_header(t.rows[0])
        for r in rows:
            row = t.add_row()
            _keep_row_together(row)
            cells = row.cells
            for cell, v in zip(cells, r, strict=True):
                cell.text = xml_text(v)
        for column, width in zip(t.columns, widths, strict=True):
            column.width = Cm(width)
            for cell in column.cells:
                cell.width = Cm(width)
        return t

    # -- the document -----------------------------------------------------------------------

    def setup(self) -> None:
        from docx.enum.section import WD_ORIENT
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Cm, Pt

        sec = self.doc.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
        sec.top_margin, sec.bottom_margin = Cm(MARGINS_CM["top"]), Cm(MARGINS_CM["bottom"])
        sec.left_margin, sec.right_margin = Cm(MARGINS_CM["left"]), Cm(MARGINS_CM["right"])
        sec.header_distance = sec.footer_distance = Cm(1.0)
        for name in (
            "Normal",
            "Title",
            "Heading 1",
            "Heading 2",
            "Heading 3",
            "Heading 4",
            "Quote",
        ):
            style = self.doc.styles[name]
            style.font.name = FONT
            rpr = style.element.get_or_add_rPr()
            fonts = rpr.find(qn("w:rFonts"))
            if fonts is None:
                fonts = OxmlElement("w:rFonts")
                rpr.insert(0, fonts)
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(attr), FONT)
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attr), None)
        self.doc.styles["Normal"].font.size = Pt(12)
        self.doc.styles["Normal"].paragraph_format.space_after = Pt(3)
        # Word refreshes the TOC's page numbers when the document is opened
        settings = self.doc.settings.element
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)
        props = self.doc.core_properties
        props.title = L["title"]
        props.subject = ", ".join(s.name_vi for s in self.report.sections)
        props.author = "Kho dữ liệu Hà Nội – Thành phố sáng tạo / Hanoi Creative City KB"
        props.created = datetime.fromisoformat(self.report.generated_at).replace(tzinfo=None)
        self._header_footer()

    def _header_footer(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        sec = self.doc.sections[0]
        sec.different_first_page_header_footer = True  # a bare title page
        head = sec.header.paragraphs[0]
        head.text = xml_text(f"{L['title']} · {period_text(self.report)}")
        head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for run in head.runs:
            run.font.size = Pt(9)
        foot = sec.footer.paragraphs[0]
        foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
        foot.add_run("Trang (Page) ")
        self._field(foot, "PAGE", "begin")
        foot.add_run("1")
        self._field(foot, "", "end")

    def title_page(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        r = self.report
        for _ in range(4):
            self.para()
        title = self.new_paragraph("Title")
        title.add_run(xml_text(L["title"]))
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        sub = self.para(L["subtitle"])
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.para()
        names = "; ".join(f"{s.name_vi} ({s.name_en})" for s in r.sections) or L["none"]
        facts = [
            (L["initiatives"], names),
            (L["period"], period_text(r)),
            (L["coverage"], coverage_text(r)),
            (L["generated"], r.generated_at),
            (L["kb_version"], r.kb_version),
        ]
        if r.agency_filter:
            facts.insert(2, (L["agency_filter"], agency_names(r.agency_filter)))
        for label, value in facts:
            p = self.labelled(None, label, value)
            p.paragraph_format.space_after = Pt(8)
        self.page_break()

    def contents(self) -> Any:
        """The TOC heading and an empty paragraph; entries are filled in at the end."""

        self.heading(L["contents"], 1, toc=False)
        anchor = self.new_paragraph()
        self.page_break()
        return anchor

    def fill_contents(self, anchor: Any) -> None:
        """Each TOC entry as a paragraph linking to its heading, inside one TOC field."""
        from docx.oxml import OxmlElement
        from docx.shared import Cm
        from docx.text.paragraph import Paragraph

        entries = self.toc or [(1, L["none"], "")]
        current = anchor
        for n, (level, text, mark) in enumerate(entries):
            if n:
                element = OxmlElement("w:p")
                current._p.addnext(element)
                current = Paragraph(element, anchor._parent)
            current.paragraph_format.left_indent = Cm(0.6 * (level - 1))
            if n == 0:
                self._field(current, 'TOC \\o "1-3" \\h \\z \\u', "begin")
            if mark:
                self.hyperlink(current, f"#{mark}", text)
            else:
                current.add_run(xml_text(text))
        self._field(current, "", "end")

    def section(self, sec: InitiativeSection) -> None:
        from docx.shared import Cm

        self.heading(heading(sec), 1)
        self.para(f"{kind_label(sec)}: {sec.id}")
        self.heading(L["summary"], 2)
        self.labelled(None, L["totals"], totals_text(sec))
        self.heading(L["per_year"], 4, toc=False)
        self.table(
            [L["year"], L["n_stories"], L["n_articles"]],
            [[y, s, a] for y, (s, a) in sorted(sec.per_year.items())],
            [4.0, 4.0, 4.0],
        )
        self.heading(L["per_outlet"], 4, toc=False)
        self.table(
            [L["outlet"], L["n_stories"], L["n_articles"]],
            [[o.name, o.stories, o.articles] for o in sec.per_outlet],
            [10.0, 3.0, 3.0],
        )
        self.heading(L["agencies_involved"], 4, toc=False)
        if sec.agencies:
            self.table(
                [L["agency"], L["n_stories"], L["n_articles"]],
                [
                    [f"{c.agency.name_vi} ({c.agency.name_en})", c.stories, c.articles]
                    for c in sec.agencies
                ],
                [10.0, 3.0, 3.0],
            )
        else:
            self.para(L["none_agency"])
        if sec.id in self.charts:
            self.heading(L["chart"], 4, toc=False)
            self.new_paragraph().add_run().add_picture(
                io.BytesIO(self.charts[sec.id]), width=Cm(TEXT_WIDTH_CM)
            )
        self.heading(L["stories"], 2)
        if not sec.stories:
            self.para(L["none"])
        for n, st in enumerate(sec.stories, 1):
            self.story(n, st)
        if sec.undated:
            self.heading(L["undated"], 2)
            self.para(L["undated_note"])
            for n, st in enumerate(sec.undated, 1):
                self.story(n, st)
        if sec.excluded:
            self.heading(L["excluded"], 2)
            for e in sec.excluded:
                p = self.para(
                    f"{e.outlet}, «{e.title}», {format_date_vi(e.published) or L['date_unknown']}, "
                )
                self.hyperlink(p, e.url)
                whole = f" ({L['whole']})" if e.whole_article else ""
                p.add_run(
                    xml_text(f" — {L['reason']}: {e.reason}; {L['reviewer']}: {e.reviewer}{whole}")
                )
        self.page_break()

    def story(self, n: int, st: StoryEntry) -> None:
        when = format_date_vi(st.first_published) or L["date_unknown"]
        self.heading(f"{n}. {when} — {st.title}", 3)
        self.labelled(None, L["outlets"], ", ".join(st.outlets))
        self.labelled(None, L["agencies"], agency_names(st.agencies))
        self.para(f"{L['quotes']}:", bold=True)
        for qt in st.quotes:
            note = f" ({qt.reviewer_note})" if qt.reviewer_note else ""
            self.para(f"«{qt.text}» — {qt.outlet}{note}", style="Quote")
        self.para(f"{L['articles']}:", bold=True)
        t = self.table(
            [L["no"], L["article"]],
            [[i, ""] for i in range(1, len(st.articles) + 1)],
            [NO_WIDTH_CM, TEXT_WIDTH_CM - NO_WIDTH_CM],
        )
        for row, a in zip(t.rows[1:], st.articles, strict=True):
            self.article_cell(row.cells[1], a)
        self.para()
        self.check()

    def article_cell(self, cell: Any, a: ArticleEntry) -> None:
        first = cell.paragraphs[0]
        first.add_run(xml_text(a.title)).bold = True
        first.add_run(xml_text(f" — {a.outlet}"))
        self.labelled(cell, L["role"], role_text(a))
        if a.author:
            self.labelled(cell, L["author"], a.author)
        self.labelled(cell, L["published"], published_text(a))
        self.hyperlink(self.labelled(cell, L["url"]), a.url)
        if a.canonical_url and a.canonical_url != a.url:
            self.hyperlink(self.labelled(cell, L["canonical"]), a.canonical_url)
        self.labelled(cell, L["fetched"], format_date_vi(a.fetched_at) or "—")
        if a.archive_url:
            self.hyperlink(self.labelled(cell, L["archive"]), a.archive_url)
        else:
            self.labelled(cell, L["archive"], L["not_archived"])
        sha = self.labelled(cell, L["sha256"])
        self._run_props(sha.add_run(xml_text(a.raw_sha256 or "—")), mono=True)
        names = agencies_of(a, self.report.agency_names)
        if names:
            self.labelled(cell, L["agencies"], names)
        for note in a.reviewed:
            self.labelled(cell, L["reviewed"], note)
        self.labelled(cell, L["cite_vi"], a.citation("vi"))
        self.labelled(cell, L["cite_en"], a.citation("en"))


def _keep_row_together(row: Any) -> None:
    """A row (one article) is not split across two pages."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _repeat_header(row: Any) -> None:
    """A table broken across pages repeats its header row."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def render_docx(
    report: Report,
    charts: dict[str, bytes] | None = None,
    check: Callable[[], None] | None = None,
) -> bytes:
    """The Word document: title page, contents, then each initiative with its stories.

    `check` is called after each story (the web page's time budget raises from it).
    """
    d = _Doc(report, charts, check)
    d.setup()
    d.title_page()
    anchor = d.contents()
    for sec in report.sections:
        d.section(sec)
    d.fill_contents(anchor)
    buf = io.BytesIO()
    d.doc.save(buf)
    return buf.getvalue()
