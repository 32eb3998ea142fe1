"""Golden test of the notice renderer against 商洛 notice 第31号 (2022-09-04).

The expected text is the published copy (seeds/001, lines 85-96) quoted in
``data/seed_001_notice_31.txt``; the news site turned the punctuation
half-width, so the test passes it through ``to_fullwidth_punct`` first.
When the shared seed itself is reachable (``/work/shared`` or ``shared/`` as
a sibling of the repository root) the quotation is checked against it too.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fangkong.risk_areas.notice_render import (
    NOTICE_CSS,
    Notice,
    NoticeFontError,
    NoticeGroup,
    NoticeMember,
    chinese_numeral,
    render_docx,
    render_html,
    render_pdf,
    render_text,
    resolve_cjk_font_path,
    to_fullwidth_punct,
)

DATA = Path(__file__).parent / "data" / "seed_001_notice_31.txt"
SEED_NAME = "001_7bf1b40c748dcf8f.txt"
REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_CANDIDATES = [
    REPO_ROOT.parent / "shared" / "seeds" / SEED_NAME,
    Path("/work/shared/seeds") / SEED_NAME,
]

ISSUER = "商洛市疫情防控应急指挥部"


def notice_31(**overrides) -> Notice:
    fields = dict(
        issuer=ISSUER,
        title="关于调整风险等级的通告",
        number=31,
        basis="《新型冠状病毒肺炎防控方案（第九版）》",
        effective_at=datetime(2022, 9, 4, 20, 0),
        groups=[
            NoticeGroup(
                kind="high_to_medium",
                heading="高风险区降为中风险区",
                members=[
                    NoticeMember("山阳县", "城关街道翠屏社区"),
                    NoticeMember("山阳县", "杨地镇龙潭社区"),
                ],
                measures="足不出户、错峰取物",
                measures_kind="管控措施",
            ),
            NoticeGroup(
                kind="medium_to_low",
                heading="中风险区降为低风险区",
                members=[
                    NoticeMember("商州区", "东关木器厂2号楼、6号楼"),
                    NoticeMember("山阳县", "城关街道西关社区"),
                ],
                measures="个人防护、避免聚集",
                measures_kind="防范措施",
            ),
        ],
        published_on=date(2022, 9, 4),
    )
    fields.update(overrides)
    return Notice(**fields)


def _group(n: int, members: list[NoticeMember]) -> NoticeGroup:
    return NoticeGroup(
        kind="new_high",
        heading=f"新增高风险区{n}",
        members=members,
        measures="足不出户、上门服务",
        measures_kind="管控措施",
    )


# --------------------------------------------------------------------------- golden


def test_quotation_matches_seed_when_available():
    seed = next((p for p in SEED_CANDIDATES if p.is_file()), None)
    if seed is None:
        pytest.skip("shared seeds not present next to the repository")
    lines = seed.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("第31号"))
    assert start == 84  # line 85, 1-based
    assert "\n".join(lines[start : start + 12]) + "\n" == DATA.read_text(encoding="utf-8")


def test_golden_text_equals_published_notice():
    expected = to_fullwidth_punct(DATA.read_text(encoding="utf-8"))
    rendered = render_text(notice_31())
    # line by line first for a readable failure, then the whole text
    assert rendered.splitlines() == expected.splitlines()
    assert rendered == expected


def test_golden_text_parts():
    lines = render_text(notice_31()).splitlines()
    assert lines[0] == "商洛市疫情防控应急指挥部关于调整风险等级的通告第31号"
    assert lines[2] == (
        "根据当前新冠疫情防控需要，按照《新型冠状病毒肺炎防控方案（第九版）》相关规定，"
        "经综合研判，商洛市疫情防控应急指挥部研究决定，自2022年9月4日20时起，调整风险区域如下："
    )
    assert lines[4] == "一、高风险区降为中风险区（2个）"
    assert lines[5] == (
        "山阳县（2个）：城关街道翠屏社区、杨地镇龙潭社区。实行“足不出户、错峰取物”等管控措施。"
    )
    assert lines[6] == "二、中风险区降为低风险区（2个）"
    assert lines[7] == (
        "商州区东关木器厂2号楼、6号楼，山阳县城关街道西关社区。实行“个人防护、避免聚集”等防范措施。"
    )
    assert lines[8:] == ["特此通告", "", ISSUER, "2022年9月4日"]
    # no half-width punctuation left in the official text
    assert not re.search(r'[,:;()"!?]', "\n".join(lines))


# --------------------------------------------------------------------------- details


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, "一"), (2, "二"), (9, "九"), (10, "十"), (11, "十一"), (19, "十九"),
        (20, "二十"), (21, "二十一"), (30, "三十"), (45, "四十五"), (99, "九十九"),
        (100, "一百"), (101, "一百零一"), (110, "一百一十"), (1001, "一千零一"),
    ],
)
def test_chinese_numerals(n, expected):
    assert chinese_numeral(n) == expected


def test_group_numbers_beyond_ten():
    groups = [_group(i, [NoticeMember("商州区", f"小区{i}")]) for i in range(1, 23)]
    text = render_text(notice_31(groups=groups))
    assert "\n十、新增高风险区10（1个）\n" in text
    assert "\n十一、新增高风险区11（1个）\n" in text
    assert "\n二十、新增高风险区20（1个）\n" in text
    assert "\n二十二、新增高风险区22（1个）\n" in text


def test_effective_time_with_minutes_and_timezone():
    text = render_text(notice_31(effective_at=datetime(2022, 9, 6, 18, 30)))
    assert "自2022年9月6日18时30分起，" in text
    # an aware UTC datetime (as Django stores it) is shown in Beijing time
    aware = datetime(2022, 9, 4, 12, 0, tzinfo=UTC)
    assert "自2022年9月4日20时起，" in render_text(notice_31(effective_at=aware))


def test_preamble_override():
    text = render_text(notice_31(preamble="为进一步做好疫情防控工作"))
    assert "\n为进一步做好疫情防控工作，按照《" in text


def test_mixed_county_layout():
    group = _group(
        1,
        [
            NoticeMember("商州区", "甲小区"),
            NoticeMember("山阳县", "丙社区"),
            NoticeMember("商州区", "乙小区"),  # not adjacent: still grouped under 商州区
        ],
    )
    lines = render_text(notice_31(groups=[group])).splitlines()
    i = lines.index("一、新增高风险区1（3个）")
    assert lines[i + 1] == "商州区（2个）：甲小区、乙小区；"
    assert lines[i + 2] == "山阳县（1个）：丙社区。实行“足不出户、上门服务”等管控措施。"
    assert lines[i + 3] == "特此通告"


def test_empty_group_is_rejected():
    with pytest.raises(ValueError):
        render_text(notice_31(groups=[_group(1, [])]))


def test_to_fullwidth_punct():
    assert to_fullwidth_punct("山阳县(2个):翠屏社区,龙潭社区;好!吗?") == (
        "山阳县（2个）：翠屏社区，龙潭社区；好！吗？"
    )
    assert to_fullwidth_punct('实行"足不出户、错峰取物"等') == "实行“足不出户、错峰取物”等"
    # digits and Latin text are left alone
    assert to_fullwidth_punct("20:30, 1,000 (v2) Hello, world!") == "20:30, 1,000 (v2) Hello, world!"
    assert to_fullwidth_punct('say "hi"') == 'say "hi"'
    assert to_fullwidth_punct("A区(2)") == "A区（2）"


# --------------------------------------------------------------------------- HTML


def test_html_structure_and_escaping():
    group = _group(1, [NoticeMember("商州区", "<script>alert(1)</script>"), NoticeMember("商州区", 'a"&b')])
    out = render_html(notice_31(groups=[group]))
    assert out.startswith('<article class="notice"')
    assert out.rstrip().endswith("</article>")
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "a&quot;&amp;b" in out
    assert "style=" not in out
    assert re.search(r"\son\w+=", out) is None
    assert '<h1 class="notice-title">商洛市疫情防控应急指挥部关于调整风险等级的通告</h1>' in out
    assert '<p class="notice-number">第31号</p>' in out


def test_html_golden_lines():
    out = render_html(notice_31())
    assert "城关街道翠屏社区、杨地镇龙潭社区。实行&ldquo;" not in out  # not entity-encoded
    assert "山阳县（2个）：城关街道翠屏社区、杨地镇龙潭社区。实行“足不出户、错峰取物”等管控措施。" in out
    assert '<p class="notice-date">2022年9月4日</p>' in out
    assert ".notice-title" in NOTICE_CSS and "http" not in NOTICE_CSS


# --------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return render_pdf(notice_31())


def test_pdf_text_and_layout(pdf_bytes):
    pypdf = pytest.importorskip("pypdf")
    assert pdf_bytes.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    for needle in ("商洛市疫情防控应急指挥部", "第31号", "翠屏社区", "特此通告", "2022年9月4日20时起"):
        assert needle in text
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4


def test_pdf_embeds_cjk_serif_font(pdf_bytes):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    embedded = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for desc_font in font.get("/DescendantFonts", [font]):
                descriptor = desc_font.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.append(str(font["/BaseFont"]))
    assert embedded, "no embedded font"
    assert any("Noto-Serif-CJK-SC" in name for name in embedded), embedded
    assert any(name.endswith("-Bold") for name in embedded), embedded  # bold title
    assert b"http://" not in pdf_bytes and b"https://" not in pdf_bytes


def test_font_resolver(tmp_path):
    assert resolve_cjk_font_path().is_file()
    with pytest.raises(NoticeFontError, match="fonts-noto-cjk"):
        resolve_cjk_font_path(search_dirs=[tmp_path], use_fontconfig=False)


# --------------------------------------------------------------------------- DOCX


def test_docx_content_and_fonts():
    docx = pytest.importorskip("docx")
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    doc = docx.Document(io.BytesIO(render_docx(notice_31())))
    paragraphs = [p for p in doc.paragraphs if p.text]
    texts = [p.text for p in paragraphs]
    assert texts[0] == "商洛市疫情防控应急指挥部关于调整风险等级的通告"
    assert texts[1] == "第31号"
    full = "\n".join(texts)
    for needle in ("翠屏社区", "特此通告", "自2022年9月4日20时起", "实行“个人防护、避免聚集”等防范措施。"):
        assert needle in full

    title = paragraphs[0]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(run.bold for run in title.runs)
    assert paragraphs[1].alignment == WD_ALIGN_PARAGRAPH.CENTER

    basis = paragraphs[2]
    assert basis.paragraph_format.first_line_indent is not None
    assert basis._p.pPr.ind.get(qn("w:firstLineChars")) == "200"

    issuer, dated = paragraphs[-2], paragraphs[-1]
    assert (issuer.text, dated.text) == (ISSUER, "2022年9月4日")
    assert issuer.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert dated.alignment == WD_ALIGN_PARAGRAPH.RIGHT

    for p in paragraphs:
        for run in p.runs:
            assert run._r.rPr.rFonts.get(qn("w:eastAsia")) in ("宋体", "Noto Serif CJK SC")
