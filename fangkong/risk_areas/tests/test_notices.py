"""Numbered notices: approval by a second HQ user, numbers per issuer that never skip or repeat."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from fangkong.core.errors import NotFound, ServiceError
from fangkong.risk_areas import services
from fangkong.risk_areas.choices import NoticeStatus
from fangkong.risk_areas.models import Issuer, Notice
from fangkong.risk_areas.tests.factories import area, at, issuer, second_hq


def _pending(world, n_notices: int) -> list[Notice]:
    iss = issuer(world)
    out = []
    for i in range(n_notices):
        ra = area(world, "high", [{"kind": "node", "area": world.unit_x}], designated=at(2022, 8, 20 + i % 5, 8))
        n = services.notice_create(actor=world.hq, issuer=iss, effective_at=at(2022, 9, 4, 20),
                                   changes=[{"risk_area": ra, "kind": "downgrade", "to_level": "medium"}])
        out.append(services.notice_submit(actor=world.hq, notice=n))
    return out


@pytest.mark.django_db
def test_the_requester_cannot_approve_and_others_cannot_publish(world):
    (notice,) = _pending(world, 1)
    with pytest.raises(ServiceError, match="另一位"):
        services.notice_approve(actor=world.hq, notice=notice)
    with pytest.raises(NotFound):
        services.notice_approve(actor=world.epi, notice=notice)
    with pytest.raises(NotFound):
        services.notice_submit(actor=world.epi, notice=notice)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PENDING_APPROVAL and notice.number is None
    services.notice_approve(actor=second_hq(world), notice=notice)
    notice.refresh_from_db()
    assert (notice.status, notice.number) == (NoticeStatus.PUBLISHED, 31)
    with pytest.raises(ServiceError):
        services.notice_approve(actor=second_hq(world), notice=notice)  # only once
    assert Issuer.objects.get().next_number == 32


@pytest.mark.django_db
def test_a_stale_change_is_refused_at_approval(world):
    a, b = _pending(world, 2)
    ra = a.changes.get().risk_area
    b.changes.update(risk_area=ra)  # both lower the same area from high
    services.notice_approve(actor=second_hq(world), notice=a, now=at(2022, 9, 4, 21))
    with pytest.raises(ServiceError, match="等级已变化"):
        services.notice_approve(actor=second_hq(world), notice=b, now=at(2022, 9, 4, 21))
    assert Issuer.objects.get().next_number == 32  # the refused one took no number


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishing_never_shares_or_skips_a_number(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions with row locks (PostgreSQL); SQLite serialises writers")
    notices = _pending(world, 8)
    approver = second_hq(world)
    barrier = threading.Barrier(len(notices))
    errors: list[BaseException] = []

    def publish(notice):
        try:
            barrier.wait()
            services.notice_approve(actor=approver, notice=notice)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(n,)) for n in notices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = sorted(Notice.objects.values_list("number", flat=True))
    assert numbers == list(range(31, 31 + len(notices)))
    assert Issuer.objects.get().next_number == 31 + len(notices)
