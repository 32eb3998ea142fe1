"""Rendering of HQ's numbered notices (通告) that adjust risk areas.

Pure rendering: the functions here take plain frozen dataclasses
(:class:`Notice`, :class:`NoticeGroup`, :class:`NoticeMember`) that the model
layer builds; nothing here touches the ORM, the database or the network.

Outputs
-------
* :func:`render_text` -- the official wording as plain text, with full-width
  punctuation (，：（）；。 and “”), laid out like the published notice::

      商洛市疫情防控应急指挥部关于调整风险等级的通告第31号

      根据当前新冠疫情防控需要，按照《…》相关规定，经综合研判，商洛市疫情防控应急指挥部研究决定，自2022年9月4日20时起，调整风险区域如下：

      一、高风险区降为中风险区（2个）
      山阳县（2个）：城关街道翠屏社区、杨地镇龙潭社区。实行“足不出户、错峰取物”等管控措施。
      二、中风险区降为低风险区（2个）
      商州区东关木器厂2号楼、6号楼，山阳县城关街道西关社区。实行“个人防护、避免聚集”等防范措施。
      特此通告

      商洛市疫情防控应急指挥部
      2022年9月4日

  (In the text form the title and the number share one line, as in the
  published copy; HTML, PDF and DOCX put them on two centred lines.)
* :func:`render_html` -- an escaped ``<article class="notice">`` fragment
  styled only by class names (see :data:`NOTICE_CSS`).
* :func:`render_pdf` -- A4 PDF via WeasyPrint with the Noto Serif CJK SC font
  (Debian package ``fonts-noto-cjk``) embedded as a subset.
* :func:`render_docx` -- a Word document via python-docx.

Layout of the members of a group
--------------------------------
Members are grouped by county, counties in order of first appearance, areas
within a county in the order given.  An area is one member even if its name
lists several buildings ("东关木器厂2号楼、6号楼").

* Every county of the group has exactly one area: one line, counties joined
  by "，", county name directly followed by the area name::

      商州区东关木器厂2号楼、6号楼，山阳县城关街道西关社区。实行“…”等防范措施。

* Otherwise (at least one county has several areas, the "mixed" case
  included): one line per county, each with its count, the areas joined by
  "、"; every county line but the last ends with "；", the last one with "。"
  followed by the measures on the same line.  A county with a single area in
  such a group is written "县名（1个）：名" so that all lines of the group read
  alike::

      商州区（2个）：甲小区、乙小区；
      山阳县（1个）：丙社区。实行“足不出户、错峰取物”等管控措施。
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

__all__ = [
    "NOTICE_CSS",
    "Notice",
    "NoticeFontError",
    "NoticeGroup",
    "NoticeMember",
    "chinese_numeral",
    "format_date",
    "format_effective_at",
    "notice_lines",
    "render_docx",
    "render_html",
    "render_pdf",
    "render_text",
    "resolve_cjk_font_path",
    "to_fullwidth_punct",
]

#: Default opening words of the basis paragraph.
DEFAULT_PREAMBLE = "根据当前新冠疫情防控需要"

#: China Standard Time (no DST since 1991); aware datetimes are shown in it.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeMember:
    """One risk area as a notice names it (may cover several buildings)."""

    county: str
    name: str


@dataclass(frozen=True)
class NoticeGroup:
    """One numbered section of a notice, e.g. "高风险区降为中风险区"."""

    kind: str  # machine-readable kind, not rendered
    heading: str  # "高风险区降为中风险区"
    members: list[NoticeMember]
    measures: str  # "足不出户、错峰取物"
    measures_kind: str  # "管控措施" or "防范措施"


@dataclass(frozen=True)
class Notice:
    issuer: str  # "商洛市疫情防控应急指挥部"
    title: str  # "关于调整风险等级的通告"
    number: int  # 31 -> "第31号"
    basis: str  # "《新型冠状病毒肺炎防控方案（第九版）》"
    effective_at: datetime  # naive = Beijing time; aware = converted to it
    groups: list[NoticeGroup]
    published_on: date
    preamble: str | None = None  # default DEFAULT_PREAMBLE


# ---------------------------------------------------------------------------
# Small formatting helpers
# ---------------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """Chinese numeral for 0 <= n <= 9999 as used for section numbers.

    1 -> 一, 10 -> 十, 11 -> 十一, 20 -> 二十, 21 -> 二十一, 99 -> 九十九,
    100 -> 一百, 101 -> 一百零一, 110 -> 一百一十.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"integer expected, got {n!r}")
    if n < 0 or n > 9999:
        raise ValueError(f"chinese_numeral supports 0..9999, got {n}")
    if n == 0:
        return _DIGITS[0]
    if 10 <= n < 20:  # 十, 十一 … 十九 (no leading 一)
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    out: list[str] = []
    zero_pending = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // value) % 10
        if digit == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append(_DIGITS[0])
            zero_pending = False
        out.append(_DIGITS[digit] + unit)
    return "".join(out)


def format_date(d: date) -> str:
    """``2022年9月4日`` (no zero padding)."""
    return f"{d.year}年{d.month}月{d.day}日"


def format_effective_at(dt: datetime) -> str:
    """``2022年9月4日20时`` or ``2022年9月4日20时30分``.

    Naive datetimes are taken as Beijing time; aware ones are converted to it
    (Django stores UTC).  Seconds are not shown.
    """
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(CHINA_TZ)
    text = f"{format_date(dt.date())}{dt.hour}时"
    if dt.minute:
        text += f"{dt.minute}分"
    return text


_HALF_TO_FULL = {
    ",": "，",
    ":": "：",
    ";": "；",
    "(": "（",
    ")": "）",
    "!": "！",
    "?": "？",
}
_QUOTED = re.compile(r'"([^"\n]*)"')


def _is_wide(ch: str | None) -> bool:
    """True for non-ASCII characters (CJK text and full-width punctuation)."""
    return ch is not None and ord(ch) > 0x7F


def _neighbour(s: str, i: int, step: int) -> str | None:
    """Nearest non-space character from index i (exclusive) in direction step."""
    i += step
    while 0 <= i < len(s):
        if not s[i].isspace():
            return s[i]
        i += step
    return None


def to_fullwidth_punct(s: str) -> str:
    """Turn a news site's half-width punctuation into the notice's full-width.

    * ``, : ; ! ?`` become ``，：；！？`` when the nearest non-space character
      on either side is non-ASCII (Chinese text or full-width punctuation);
      between ASCII characters they are left alone ("20:30", "1,000",
      "Hello, world").
    * A matched pair ``( )`` becomes ``（ ）`` when its content contains
      non-ASCII text or the character just outside either parenthesis is
      non-ASCII ("(2个)", "区(2)"); "(v2)" in Latin text stays.
    * Straight double quotes around text containing Chinese become “ ”.
    * Digits, Latin letters and everything else are left unchanged.
    """
    s = _QUOTED.sub(
        lambda m: f"“{m[1]}”" if any(_is_wide(c) for c in m[1]) else m[0], s
    )

    convert: set[int] = set()
    # Parentheses: decide per matched pair.
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    unmatched: list[int] = []
    for i, ch in enumerate(s):
        if ch == "(":
            stack.append(i)
        elif ch == ")":
            if stack:
                pairs.append((stack.pop(), i))
            else:
                unmatched.append(i)
    unmatched.extend(stack)
    for start, end in pairs:
        if (
            any(_is_wide(c) for c in s[start + 1 : end])
            or _is_wide(_neighbour(s, start, -1))
            or _is_wide(_neighbour(s, end, +1))
        ):
            convert.update((start, end))
    for i in unmatched:
        if _is_wide(_neighbour(s, i, -1)) or _is_wide(_neighbour(s, i, +1)):
            convert.add(i)

    out: list[str] = []
    for i, ch in enumerate(s):
        if ch in "()":
            out.append(_HALF_TO_FULL[ch] if i in convert else ch)
        elif ch in _HALF_TO_FULL:
            prev = next((c for c in reversed(out) if not c.isspace()), None)
            if _is_wide(prev) or _is_wide(_neighbour(s, i, +1)):
                out.append(_HALF_TO_FULL[ch])
            else:
                out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# Logical structure shared by all renderers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeLine:
    """One logical line of a notice; ``role`` drives the styling."""

    role: str  # title | number | basis | group_heading | members | closing | issuer | date
    text: str


def _title_text(notice: Notice) -> str:
    return f"{notice.issuer}{notice.title}"


def _number_text(notice: Notice) -> str:
    return f"第{notice.number}号"


def _basis_text(notice: Notice) -> str:
    preamble = notice.preamble if notice.preamble is not None else DEFAULT_PREAMBLE
    return (
        f"{preamble}，按照{notice.basis}相关规定，经综合研判，"
        f"{notice.issuer}研究决定，自{format_effective_at(notice.effective_at)}起，"
        "调整风险区域如下："
    )


def _group_heading_text(index: int, group: NoticeGroup) -> str:
    return f"{chinese_numeral(index)}、{group.heading}（{len(group.members)}个）"


def _measures_text(group: NoticeGroup) -> str:
    if not group.measures:
        return ""
    return f"实行“{group.measures}”等{group.measures_kind}。"


def _by_county(members: Iterable[NoticeMember]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for member in members:
        grouped.setdefault(member.county, []).append(member.name)
    return list(grouped.items())


def _member_lines(group: NoticeGroup) -> list[str]:
    """Member lines of a group, the last one ending with the measures.

    See the module docstring for the layout rule.
    """
    if not group.members:
        raise ValueError(f"notice group {group.heading!r} has no members")
    counties = _by_county(group.members)
    if all(len(names) == 1 for _, names in counties):
        lines = ["，".join(county + names[0] for county, names in counties)]
    else:
        lines = [
            f"{county}（{len(names)}个）：{'、'.join(names)}" for county, names in counties
        ]
    lines = [line + "；" for line in lines[:-1]] + [lines[-1] + "。"]
    lines[-1] += _measures_text(group)
    return lines


def notice_lines(notice: Notice) -> list[NoticeLine]:
    """The notice as a list of logical lines (no blank lines)."""
    lines = [
        NoticeLine("title", _title_text(notice)),
        NoticeLine("number", _number_text(notice)),
        NoticeLine("basis", _basis_text(notice)),
    ]
    for index, group in enumerate(notice.groups, start=1):
        lines.append(NoticeLine("group_heading", _group_heading_text(index, group)))
        lines.extend(NoticeLine("members", text) for text in _member_lines(group))
    lines += [
        NoticeLine("closing", "特此通告"),
        NoticeLine("issuer", notice.issuer),
        NoticeLine("date", format_date(notice.published_on)),
    ]
    return lines


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def render_text(notice: Notice) -> str:
    """The notice as plain text, laid out as in the published copy.

    Title and number share the first line; a blank line follows it and the
    basis paragraph, and separates "特此通告" from the signature.  The result
    ends with a newline.
    """
    out: list[str] = []
    for line in notice_lines(notice):
        if line.role == "title":
            out.append(line.text)
        elif line.role == "number":
            out[-1] += line.text
            out.append("")
        elif line.role == "basis":
            out += [line.text, ""]
        elif line.role == "closing":
            out += [line.text, ""]
        else:
            out.append(line.text)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

#: Styles for :func:`render_html` output; the PDF uses them, the web page can
#: serve the same text as a static file.  No font files are referenced here.
# The one copy lives in the static file the web page serves; the PDF reads the same file.
NOTICE_CSS = (Path(__file__).resolve().parent / "static" / "risk_areas" / "notice.css").read_text(encoding="utf-8")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(notice: Notice) -> str:
    """A self-contained ``<article class="notice">`` fragment.

    All text is escaped; there are no scripts and no ``style`` attributes --
    styling is by class names, see :data:`NOTICE_CSS`.
    """
    parts: list[str] = ['<article class="notice" lang="zh-CN">']
    in_group = False
    signature_open = False
    for line in notice_lines(notice):
        text = _esc(line.text)
        if line.role != "members" and in_group:
            parts.append("</section>")
            in_group = False
        if line.role == "title":
            parts += ['<header class="notice-header">', f'<h1 class="notice-title">{text}</h1>']
        elif line.role == "number":
            parts += [f'<p class="notice-number">{text}</p>', "</header>"]
        elif line.role == "basis":
            parts.append(f'<p class="notice-para notice-basis">{text}</p>')
        elif line.role == "group_heading":
            parts += [
                '<section class="notice-group">',
                f'<h2 class="notice-group-heading">{text}</h2>',
            ]
            in_group = True
        elif line.role == "members":
            parts.append(f'<p class="notice-para notice-members">{text}</p>')
        elif line.role == "closing":
            parts.append(f'<p class="notice-para notice-closing">{text}</p>')
        elif line.role in ("issuer", "date"):
            if not signature_open:
                parts.append('<footer class="notice-signature">')
                signature_open = True
            parts.append(f'<p class="notice-{line.role}">{text}</p>')
    if signature_open:
        parts.append("</footer>")
    parts.append("</article>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------

#: fontconfig family used in the PDF.  The Noto CJK .ttc collections hold the
#: JP, KR, SC, TC and HK faces; referencing the file by URL makes WeasyPrint
#: take face 0 (JP glyph forms), so the PDF names the SC face by its family.
PDF_FONT_FAMILY = "Noto Serif CJK SC"

FONT_PACKAGE = "fonts-noto-cjk"

FONT_SEARCH_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto"),  # Debian / Ubuntu fonts-noto-cjk
    Path("/usr/share/fonts/opentype/noto-cjk"),
    Path("/usr/share/fonts/noto-cjk"),  # Arch
    Path("/usr/share/fonts/google-noto-cjk"),  # Fedora
    Path("/usr/share/fonts/google-noto-serif-cjk-fonts"),
    Path("/usr/local/share/fonts"),
)

_FONT_FILE_NAMES = {
    False: ("NotoSerifCJK-Regular.ttc", "NotoSerifCJKsc-Regular.otf", "NotoSerifSC-Regular.otf"),
    True: ("NotoSerifCJK-Bold.ttc", "NotoSerifCJKsc-Bold.otf", "NotoSerifSC-Bold.otf"),
}


class NoticeFontError(RuntimeError):
    """The CJK font needed for PDF notices is not installed."""


def _fontconfig_lookup(bold: bool) -> Path | None:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    style = "Bold" if bold else "Regular"
    try:
        result = subprocess.run(
            [fc_list, f"{PDF_FONT_FAMILY}:style={style}", "file"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    for raw in result.stdout.splitlines():
        path = Path(raw.strip().rstrip(":"))
        if path.is_file():
            return path
    return None


def resolve_cjk_font_path(
    bold: bool = False,
    search_dirs: Sequence[Path | str] | None = None,
    use_fontconfig: bool = True,
) -> Path:
    """Path of the Noto Serif CJK font file (regular or bold).

    Looks in the usual distribution directories (first
    ``/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc`` from the
    Debian package fonts-noto-cjk), then asks fontconfig.  Raises
    :class:`NoticeFontError` naming the package when nothing is found.
    """
    dirs = [Path(d) for d in (FONT_SEARCH_DIRS if search_dirs is None else search_dirs)]
    for directory in dirs:
        for name in _FONT_FILE_NAMES[bold]:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    if use_fontconfig:
        found = _fontconfig_lookup(bold)
        if found is not None:
            return found
    weight = "Bold" if bold else "Regular"
    raise NoticeFontError(
        f"{PDF_FONT_FAMILY} ({weight}) font not found (looked for "
        f"{', '.join(_FONT_FILE_NAMES[bold])} in {', '.join(map(str, dirs))}"
        f"{' and via fontconfig' if use_fontconfig else ''}). PDF notices need the "
        f"Debian package {FONT_PACKAGE}: apt-get install {FONT_PACKAGE}"
    )


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------

# Page set-up after GB/T 9704 (党政机关公文格式): A4, 37/26/35/28 mm margins.
_PDF_PAGE_CSS = f"""\
@page {{
  size: A4;
  margin: 37mm 26mm 35mm 28mm;
}}
html, body {{ margin: 0; padding: 0; }}
.notice {{
  font-family: "{PDF_FONT_FAMILY}";
  max-width: none;
}}
"""


def _no_fetch_url_fetcher():
    """A WeasyPrint URL fetcher that fetches nothing (no network, no files)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=())


def render_pdf(notice: Notice) -> bytes:
    """A4 PDF of the notice; the serif CJK font is subset and embedded.

    Raises :class:`NoticeFontError` when fonts-noto-cjk is not installed.
    """
    resolve_cjk_font_path(bold=False)  # fail early with a clear message

    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    title = _esc(_title_text(notice) + _number_text(notice))
    document = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        f'<meta name="author" content="{_esc(notice.issuer)}">'
        f"</head><body>\n{render_html(notice)}</body></html>\n"
    )
    fetcher = _no_fetch_url_fetcher()
    font_config = FontConfiguration()
    stylesheets = [
        CSS(string=NOTICE_CSS, font_config=font_config, url_fetcher=fetcher),
        CSS(string=_PDF_PAGE_CSS, font_config=font_config, url_fetcher=fetcher),
    ]
    return HTML(string=document, url_fetcher=fetcher).write_pdf(
        stylesheets=stylesheets, font_config=font_config
    )


# ---------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------

#: East Asian font named in the DOCX (w:rFonts w:eastAsia); Word on Chinese
#: Windows has it, other systems substitute.
DOCX_EAST_ASIA_FONT = "宋体"
DOCX_LATIN_FONT = "Times New Roman"
_DOCX_BODY_PT = 16  # 三号
_DOCX_TITLE_PT = 22  # 二号


def _docx_run(paragraph, text: str, size_pt: float, bold: bool = False):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.name = DOCX_LATIN_FONT
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), DOCX_EAST_ASIA_FONT)
    return run


def _docx_first_line_indent(paragraph, size_pt: float) -> None:
    """Indent the first line by two characters (w:firstLineChars="200")."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph.paragraph_format.first_line_indent = Pt(2 * size_pt)
    ind = paragraph.paragraph_format._element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), "200")


def render_docx(notice: Notice) -> bytes:
    """The notice as a .docx (A4; title centred bold; body indented two
    characters; issuer and date right-aligned; East Asian font on every run)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    normal = doc.styles["Normal"]
    normal.font.name = DOCX_LATIN_FONT
    normal.font.size = Pt(_DOCX_BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), DOCX_EAST_ASIA_FONT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = Pt(28)

    props = doc.core_properties
    props.title = _title_text(notice) + _number_text(notice)
    props.author = notice.issuer

    first_signature = True
    for line in notice_lines(notice):
        p = doc.add_paragraph()
        if line.role == "title":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.line_spacing = Pt(36)
            _docx_run(p, line.text, _DOCX_TITLE_PT, bold=True)
        elif line.role == "number":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_after = Pt(_DOCX_BODY_PT)
            _docx_run(p, line.text, _DOCX_BODY_PT)
        elif line.role in ("issuer", "date"):
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.right_indent = Pt(2 * _DOCX_BODY_PT)
            if first_signature:
                p.paragraph_format.space_before = Pt(2 * _DOCX_BODY_PT)
                first_signature = False
            _docx_run(p, line.text, _DOCX_BODY_PT)
        else:
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _docx_first_line_indent(p, _DOCX_BODY_PT)
            _docx_run(p, line.text, _DOCX_BODY_PT, bold=line.role == "group_heading")

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
