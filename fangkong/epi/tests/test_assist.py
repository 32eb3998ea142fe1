"""A messy 协查 list with known answers."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.excel import read_table
from fangkong.epi import selectors, services
from fangkong.epi.models import AssistItem

from .conftest import make_household, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world, people):
    hh = make_household(world.unit_x, 5, "502")
    people["dot"] = make_person(world, "阿不都·热合曼", hh, phone="13700000007")
    people["twin_a"] = make_person(world, "刘一", make_household(world.unit_x, 7, "701"), phone="13600000006")
    people["twin_b"] = make_person(world, "刘一", make_household(world.unit_y, 7, "701"), phone="13600000006")
    return people


def _csv(rows):
    text = "姓名,手机号,身份证号,地址,备注\n" + "\n".join(",".join(r) for r in rows) + "\n"
    return io.BytesIO(text.encode("utf-8"))


def test_a_messy_list_is_matched_as_expected(world, ledger):
    p = ledger
    sid = p["spouse"].id_number
    rows = [
        ["李四", "", sid.lower()[:-1] + sid[-1].lower(), "", "exact id"],             # 2 exact id
        ["", "+86 138 0000 0003", "", "", "phone +86 spaces"],                         # 3 phone
        ["阿不都•热合曼", "", "", "翠屏社区1号楼", "dot variant + address"],            # 4 name+address
        ["张小", "", p["child"].id_number[:4] + "**********" + p["child"].id_number[-4:], "", "masked"],  # 5 partial
        ["李四", "13800000002", "", "", "duplicate of row 2"],                         # 6 duplicate
        ["查无此人", "13511112222", "", "某地", "unknown"],                            # 7 not found
        ["刘一", "136 0000 0006", "", "", "shared phone, same name"],                  # 8 ambiguous
        ["孙八", "139-0000-0009", "", "", "phone + name, other grid"],                 # 9 phone+name
    ]
    deadline = timezone.now() + dt.timedelta(hours=12)
    lst = services.assist_list_upload(actor=world.epi, area=world.county, title="西安协查第12批", reason="时空交集",
                                      deadline=deadline, file=_csv(rows), filename="协查.csv")
    items = {it.row_number: it for it in lst.items.all()}
    got = {n: (it.person_id, it.method, round(it.confidence, 2)) for n, it in items.items()}
    assert got[2] == (p["spouse"].pk, "exact_id", 1.0)
    assert got[3] == (p["below"].pk, "phone", 0.9)
    assert got[4] == (p["dot"].pk, "name_address", 0.6)
    assert got[5] == (p["child"].pk, "partial_id", 0.8)
    assert got[6][:2] == (p["spouse"].pk, "phone") and items[6].outcome == "duplicate"
    assert items[6].duplicate_of_id == items[2].pk and "第2行" in items[6].outcome_note
    assert got[7] == (None, "none", 0.0)
    assert got[8][:2] == (None, "ambiguous") and set(items[8].candidates) == {p["twin_a"].pk, p["twin_b"].pk}
    assert got[9] == (p["y"].pk, "phone", 0.95)
    assert lst.rows_total == 8 and lst.rows_matched == 6
    # assignment to the grid workers of the matched households
    assert items[2].assigned_to == world.worker_x and items[2].grid == world.grid_x
    assert items[9].assigned_to == world.worker_y and items[9].grid == world.grid_y
    assert items[7].assigned_to is None and items[7].area_path == world.county.path
    # grid workers see their items only, and record outcomes
    mine = set(selectors.my_assist_items(world.worker_x).values_list("row_number", flat=True))
    assert 9 not in mine and {2, 3, 4, 5} <= mine
    services.assist_item_outcome(actor=world.worker_x, item=items[2], outcome="controlled", note="已转运")
    with pytest.raises(NotFound):
        services.assist_item_outcome(actor=world.worker_y, item=items[3], outcome="not_found")
    with pytest.raises(ServiceError):
        services.assist_item_outcome(actor=world.epi, item=items[7], outcome="controlled")
    services.assist_item_resolve(actor=world.epi, item=items[8], person=p["twin_b"])
    items[8].refresh_from_db()
    assert items[8].method == "manual" and items[8].assigned_to == world.worker_y
    stats = {s["grid_id"]: s for s in selectors.assist_grid_stats(lst)}
    assert stats[world.grid_x.pk]["done"] == 2 and stats[world.grid_x.pk]["overdue"] == 0  # + the duplicate
    late = selectors.assist_grid_stats(lst, now=deadline + dt.timedelta(hours=1))
    assert sum(s["overdue"] for s in late) == sum(s["open"] for s in late) > 0
    path = selectors.assist_return_file(world.epi, lst)
    table = read_table(path, filename="r.xlsx", fields={"row": ["行号"], "outcome": ["处置结果"]})
    back = {r.values["row"]: r.values["outcome"] for r in table.rows()}
    assert back["2"] == "已找到并落实管控" and back["6"] == "重复" and back["7"] == "未反馈"


def test_a_list_without_identifying_columns_is_refused(world):
    with pytest.raises(ServiceError) as exc:
        services.assist_list_upload(actor=world.epi, area=world.county, title="x", reason="y",
                                    deadline=timezone.now(), file=io.BytesIO("地址,备注\n某地,无\n".encode()),
                                    filename="a.csv")
    assert exc.value.code == "missing_columns"
    with pytest.raises(NotFound):
        services.assist_list_upload(actor=world.worker_x, area=world.county, title="x", reason="y",
                                    deadline=timezone.now(), file=_csv([["a", "", "", "", ""]]), filename="a.csv")
    assert not AssistItem.objects.exists()
