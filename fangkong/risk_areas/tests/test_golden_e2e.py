"""End to end: notice 第31号 of seeds/001 comes out of the platform from the areas and the adjustment,
as text, HTML, PDF (text extracted back with pypdf) and DOCX, equal to the published copy."""

from __future__ import annotations

import html as htmllib
import io
import re
from pathlib import Path

import pytest

from fangkong.risk_areas import documents, services
from fangkong.risk_areas.choices import NoticeStatus, RiskAreaStatus
from fangkong.risk_areas.models import RiskAreaEvent
from fangkong.risk_areas.notice_render import to_fullwidth_punct
from fangkong.risk_areas.tests.factories import at, issuer, second_hq, seed_31_areas

DATA = Path(__file__).parent / "data" / "seed_001_notice_31.txt"
pytestmark = pytest.mark.django_db


def expected_lines() -> list[str]:
    text = to_fullwidth_punct(DATA.read_text(encoding="utf-8"))
    return [line for line in text.splitlines() if line.strip()]


def published_31(world):
    s = seed_31_areas(world)
    hq2 = second_hq(world)
    notice = services.notice_create(
        actor=world.hq, issuer=issuer(world), effective_at=at(2022, 9, 4, 20),
        changes=[
            {"risk_area": s.cuiping, "kind": "downgrade", "to_level": "medium"},
            {"risk_area": s.longtan, "kind": "downgrade", "to_level": "medium"},
            {"risk_area": s.dongguan, "kind": "downgrade", "to_level": "low"},
            {"risk_area": s.xiguan, "kind": "downgrade", "to_level": "low"},
        ],
    )
    # 商洛's local wording for high areas turned medium (the rule set proposes 人不出区、错峰取物).
    notice = services.notice_update(actor=world.hq, notice=notice, effective_at=notice.effective_at,
                                    basis=notice.basis,
                                    group_measures={("downgrade", "high", "medium"): "足不出户、错峰取物"})
    services.notice_submit(actor=world.hq, notice=notice)
    notice = services.notice_approve(actor=hq2, notice=notice, now=at(2022, 9, 4, 18))
    return s, notice


def test_notice_31_rebuilt_from_data(world):
    s, notice = published_31(world)
    assert notice.status == NoticeStatus.PUBLISHED and notice.number == 31
    text = documents.notice_text(notice)
    assert text == to_fullwidth_punct(DATA.read_text(encoding="utf-8"))
    lines = text.splitlines()
    assert lines[0].endswith("关于调整风险等级的通告第31号")
    assert "《新型冠状病毒肺炎防控方案（第九版）》" in lines[2] and "自2022年9月4日20时起" in lines[2]
    assert lines[4] == "一、高风险区降为中风险区（2个）"
    assert lines[5].startswith("山阳县（2个）：城关街道翠屏社区、杨地镇龙潭社区。")
    assert lines[6] == "二、中风险区降为低风险区（2个）"
    assert lines[7].startswith("商州区东关木器厂2号楼、6号楼，山阳县城关街道西关社区。")
    assert lines[-2:] == ["商洛市疫情防控应急指挥部", "2022年9月4日"]


def test_notice_31_html_pdf_docx_equal_the_seed(world):
    _s, notice = published_31(world)
    expected = expected_lines()
    # HTML: title and number are two lines there; the text form joins them.
    html = documents.notice_html(notice)
    html_lines = [htmllib.unescape(re.sub(r"<[^>]+>", "", x)).strip() for x in html.splitlines()]
    html_lines = [x for x in html_lines if x]
    assert [html_lines[0] + html_lines[1], *html_lines[2:]] == expected

    docx = pytest.importorskip("docx")
    doc = docx.Document(io.BytesIO(documents.notice_docx(notice)))
    paras = [p.text for p in doc.paragraphs if p.text.strip()]
    assert [paras[0] + paras[1], *paras[2:]] == expected

    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(documents.notice_pdf(notice)))
    pdf_text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert pdf_text == re.sub(r"\s+", "", "".join(expected))


def test_publishing_applies_at_the_effective_time_and_keeps_the_timeline(world):
    s, notice = published_31(world)
    s.cuiping.refresh_from_db()
    assert s.cuiping.level == "high"  # approved at 18时, effective at 20时
    assert services.notices_apply_due(now=at(2022, 9, 4, 19, 59)) == 0
    assert services.notices_apply_due(now=at(2022, 9, 4, 20)) == 1
    assert services.notices_apply_due(now=at(2022, 9, 4, 21)) == 0  # idempotent
    for ra, level in ((s.cuiping, "medium"), (s.longtan, "medium"), (s.dongguan, "low"), (s.xiguan, "low")):
        ra.refresh_from_db()
        assert (ra.level, ra.status) == (level, RiskAreaStatus.ACTIVE)
    s.cuiping.refresh_from_db()
    assert s.cuiping.downgraded_from == "high" and s.cuiping.measures == "足不出户、错峰取物"
    kinds = list(RiskAreaEvent.objects.filter(risk_area=s.cuiping).order_by("id").values_list("kind", "notice_id"))
    assert kinds == [("proposed", None), ("designated", None), ("downgraded", notice.pk)]


def test_notice_applies_at_once_when_its_time_has_passed(world):
    s = seed_31_areas(world)
    notice = services.notice_create(actor=world.hq, issuer=issuer(world), effective_at=at(2022, 9, 4, 20),
                                    changes=[{"risk_area": s.xiguan, "kind": "lift"}])
    services.notice_submit(actor=world.hq, notice=notice)
    services.notice_approve(actor=second_hq(world), notice=notice, now=at(2022, 9, 5, 9))
    s.xiguan.refresh_from_db()
    assert s.xiguan.status == RiskAreaStatus.LIFTED
    assert "一、解除中风险区（1个）" in documents.notice_text(notice)
