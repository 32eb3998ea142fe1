"""`fangkong bench risk_areas`: the public page cold and cached, the downgrade engine over every area,
publishing (number allocation) and the PDF/DOCX of a notice. Prints JSON."""

from __future__ import annotations

import json
import random
import time

from fangkong.core.commands import Subcommand


def _add(parser):
    parser.add_argument("--areas", type=int, default=300, help="risk areas to designate (default 300)")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of the cached-page run")
    parser.add_argument("--seed", type=int, default=1)


def _user(name):
    from fangkong.accounts.models import User
    from fangkong.accounts.services import role_assign
    from fangkong.areas.models import Area

    user = User.objects.filter(username=name).first()
    if user is None:
        user = User.objects.create(username=name, display_name=name)
        role_assign(actor=None, user=user, role="hq", area=Area.objects.get(code="611000000000"))
    return user


def _bench(options, stdout):
    from datetime import timedelta

    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from fangkong.areas.choices import Level
    from fangkong.areas.models import Area
    from fangkong.areas.services import demo_city_build, divisions_load
    from fangkong.risk_areas import documents, facts, selectors, services
    from fangkong.risk_areas.models import Issuer, RiskArea

    # Synthetic facts (the epi and testing apps are not part of this bench): no case, and an
    # all-negative round every day, so that areas become eligible on the rule set's day.
    facts.last_case_date = lambda ids, *, since: None
    facts.negative_round_days = lambda ids, *, since: [since + timedelta(days=k) for k in range(30)]
    rng = random.Random(options["seed"])
    if not Area.objects.filter(code="611000000000").exists():
        divisions_load()
    if not Area.objects.filter(level=Level.BUILDING).exists():
        demo_city_build(seed=options["seed"], communities_per_street=2, grids_per_community=1)
    hq, hq2 = _user("bench_hq"), _user("bench_hq2")
    buildings = list(Area.objects.filter(level=Level.BUILDING, retired_at__isnull=True).order_by("code"))
    existing = RiskArea.objects.filter(status="active").count()
    designated = timezone.now() - timedelta(days=10)
    t0 = time.perf_counter()
    for b in rng.sample(buildings, max(0, min(len(buildings), options["areas"] - existing))):
        ra = services.risk_area_create(actor=hq, level=rng.choice(["high", "medium"]), ruleset_id="di9ban",
                                       members=[{"kind": "node", "area": b}])
        services.risk_area_designate(actor=hq, risk_area=ra, effective_at=designated)
    t_designate = time.perf_counter() - t0
    total = RiskArea.objects.filter(status="active").count()

    t0 = time.perf_counter()
    candidates = selectors.downgrade_candidates(hq, today=timezone.localdate())
    t_engine = time.perf_counter() - t0

    issuer = Issuer.objects.filter(name="商洛市疫情防控应急指挥部").first() or services.issuer_create(
        actor=hq, name="商洛市疫情防控应急指挥部", area=Area.objects.get(code="611000000000"))
    eligible = [c for c in candidates if c.decision and c.decision.eligible and not c.pending][:20]
    t_publish = t_pdf = t_docx = None
    if eligible:
        t0 = time.perf_counter()
        n = services.notice_create(actor=hq, issuer=issuer, effective_at=timezone.now().replace(
            minute=0, second=0, microsecond=0), changes=[{"risk_area": c.risk_area, "kind": "downgrade",
                                                         "to_level": c.decision.to_level} for c in eligible
                                                        if c.decision.to_level])
        services.notice_submit(actor=hq, notice=n)
        services.notice_approve(actor=hq2, notice=n)
        t_publish = time.perf_counter() - t0
        t0 = time.perf_counter()
        documents.notice_pdf(n)
        t_pdf = time.perf_counter() - t0
        t0 = time.perf_counter()
        documents.notice_docx(n)
        t_docx = time.perf_counter() - t0

    client = Client()
    cache.clear()
    t0 = time.perf_counter()
    assert client.get("/public/").status_code == 200
    t_cold = time.perf_counter() - t0
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < options["seconds"]:
        client.get("/public/")
        count += 1
    elapsed = time.perf_counter() - t0
    stdout.write(json.dumps({
        "active_areas": total, "designate_seconds": round(t_designate, 2),
        "downgrade_engine_seconds": round(t_engine, 3), "downgrade_engine_ms_per_area": round(
            1000 * t_engine / max(1, len(candidates)), 2),
        "publish_notice_seconds": t_publish and round(t_publish, 3), "notice_changes": len(eligible),
        "pdf_seconds": t_pdf and round(t_pdf, 2), "docx_seconds": t_docx and round(t_docx, 3),
        "public_page_cold_ms": round(1000 * t_cold, 1),
        "public_page_cached_requests_per_second_one_process": round(count / elapsed, 1),
        "public_page_cached_ms": round(1000 * elapsed / max(1, count), 2),
    }, ensure_ascii=False) + "\n")


BENCH = {"risk_areas": Subcommand(_add, _bench, "风险区域：公众页面（冷/缓存）、降级研判、发布通告、PDF")}
