"""The importer with messy ledgers: GBK CSV, xls-like title rows, bad IDs, duplicates, empty rows, formulas,
date serials; a second import changes nothing; rows outside the area are errors."""

import datetime as dt

import pytest
import xlsxwriter

from fangkong.audit.models import Event
from fangkong.core.excel import read_table
from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.importers import import_ledger
from fangkong.residents.models import CareTag, Household, Person

pytestmark = pytest.mark.django_db

GOOD1 = make_citizen_id("611002", dt.date(1980, 5, 17), 13)
GOOD2 = make_citizen_id("611002", dt.date(2021, 3, 2), 24)
GOOD3 = make_citizen_id("611002", dt.date(1950, 1, 9), 35)


def _names(world):
    return world.compound_x.name, world.building_x.name, world.unit_x.name


def write_xlsx(path, rows, title=True):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    r = 0
    if title:
        ws.merge_range(0, 0, 0, 6, "翠屏社区常住人口信息汇总表")
        r = 1
    for row in rows:
        for c, v in enumerate(row):
            if isinstance(v, str) and v.startswith("="):
                ws.write_formula(r, c, v, None, "计算值")
            elif v is not None:
                ws.write(r, c, v)
        r += 1
    wb.close()
    return str(path)


def test_messy_xlsx_dry_run_then_import_then_idempotent(world, tmp_path):
    comp, bld, unit = _names(world)
    rows = [
        ["序号", "姓名", "公民身份号码", "出生日期", "手机号码", "小区", "楼号", "单元", "房号", "与户主关系", "特殊人群", "备注"],
        [1, "张 三", GOOD1.lower()[:-1] + GOOD1[-1].lower(), 29358, "138 0000 0000", comp, bld, unit, "301", "户主", "", ""],
        [2, "李小宝", "＂" + GOOD2 + "＂", "2021/3/2", "", comp, bld, unit, "301", "子女", "婴幼儿", ""],
        [None, None, None, None, None, None, None, None, None, None, None, None],
        [3, "王五", "611002198001011230", "", "", comp, bld, unit, "302", "户主", "", "校验位错"],
        [4, "重复", GOOD1, "", "", comp, bld, unit, "303", "户主", "", ""],
        [5, "=HYPERLINK(\"x\")", GOOD3, "", "", comp, bld, unit, "303", "户主", "", ""],
        [6, "赵六", GOOD3, "", "", "不存在小区", "1号楼", "1单元", "101", "户主", "", ""],
    ]
    path = write_xlsx(tmp_path / "ledger.xlsx", rows)
    dry = import_ledger(actor=world.hq, area=world.x, path=path, filename="ledger.xlsx", dry_run=True)
    assert (dry.created, dry.updated, dry.errors) == (3, 0, 3), dry.preview  # a formula cell: its value is imported
    assert Person.objects.count() == 0 and Household.objects.count() == 0
    reasons = " ".join(e["reason"] for e in dry.preview["error"])
    assert "校验位" in reasons and "重复" in reasons and "不在导入区域" in reasons
    assert not Person.objects.filter(name__startswith="=").exists()
    res = import_ledger(actor=world.hq, area=world.x, path=path, filename="ledger.xlsx", dry_run=False)
    assert (res.created, res.errors) == (3, 3)
    p = Person.objects.get(id_number=GOOD1)
    assert p.name == "张三" and p.phone == "13800000000" and p.birth_date == dt.date(1980, 5, 17)
    assert p.household.room == "301" and p.household.floor == 3 and p.area == world.unit_x
    assert CareTag.objects.filter(person__id_number=GOOD2, tag="infant").exists()
    assert Event.objects.filter(action="person.register").count() == 3
    # the error workbook has every bad row with its reason
    table = read_table(res.error_file, filename="e.xlsx", fields={"row": ["原行号"], "reason": ["错误原因"]})
    got = {r.values["row"]: r.values["reason"] for r in table.rows()}
    assert len(got) == 3 and all(got.values())
    events = Event.objects.count()
    again = import_ledger(actor=world.hq, area=world.x, path=path, filename="ledger.xlsx", dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Person.objects.count() == 3 and Event.objects.count() == events


def test_gbk_csv_and_update(world, tmp_path):
    comp, bld, unit = _names(world)
    text = (f"姓名,身份证号码,联系电话,小区,楼栋,单元,门牌号,人口类型\n"
            f"张三,{GOOD1},13800000000,{comp},{bld},{unit},501,常住\n"
            f",,,,,,,\n"
            f"李四,12345,,{comp},{bld},{unit},502,常住\n")
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    res = import_ledger(actor=world.hq, area=world.x, path=str(path), filename="gbk.csv", dry_run=False)
    assert (res.created, res.errors, res.skipped_empty) == (1, 1, 1)
    path.write_bytes(text.replace("13800000000", "13900000000").encode("gb18030"))
    res = import_ledger(actor=world.hq, area=world.x, path=str(path), filename="gbk.csv", dry_run=False)
    assert (res.created, res.updated) == (0, 1)
    assert Person.objects.get(id_number=GOOD1).phone == "13900000000"


def test_person_elsewhere_is_an_error_not_a_second_row(world, tmp_path):
    comp, bld, unit = _names(world)
    h = Household.objects.create(area=world.unit_y, area_path=world.unit_y.path, room="101", address="y101")
    Person.objects.create(household=h, area=world.unit_y, area_path=world.unit_y.path, name="张三", id_type="citizen_id",
                          id_number=GOOD1, id_tail=GOOD1[-6:])
    path = tmp_path / "a.csv"
    path.write_text(f"姓名,身份证号\n张三,{GOOD1}\n", encoding="utf-8")
    path.write_text(f"姓名,身份证号,小区,楼栋,单元,房号\n张三,{GOOD1},{comp},{bld},{unit},301\n", encoding="utf-8")
    res = import_ledger(actor=world.hq, area=world.x, path=str(path), filename="a.csv", dry_run=False)
    assert res.errors == 1 and res.created == 0
    assert Person.objects.filter(id_number=GOOD1).count() == 1


def test_grid_worker_cannot_import(world, tmp_path):
    from fangkong.core.errors import NotFound

    path = tmp_path / "a.csv"
    path.write_text("姓名,身份证号\n", encoding="utf-8")
    with pytest.raises(NotFound):
        import_ledger(actor=world.worker_x, area=world.x, path=str(path), filename="a.csv")
