"""Tests for fangkong.core.excel.

All fixtures are built here in tmp_path (no binary fixtures are committed): a messy
community ledger as .xlsx (openpyxl), .xls (xlwt) and .ods (hand-made zip), CSV in several
encodings and delimiters, corrupt files, and round trips through the xlsx writers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import re
import tracemalloc
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from fangkong.core import excel
from fangkong.core.excel import (
    TableError,
    XlsxStreamWriter,
    neutralize_cell,
    normalize_header,
    parse_date,
    read_table,
    template_workbook,
    write_error_workbook,
)

FIELDS = {
    "seq": ["序号"],
    "name": ["姓名", "名字"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码"],
    "phone": ["联系电话", "手机号码", "电话"],
    "birth_date": ["出生日期", "出生年月"],
    "total": ["人数合计"],
}
REQUIRED = {"name", "id_number"}
TITLE = "商州区城关街道XX社区常住人口信息汇总表"
HEADERS = ["序号", " 姓\u3000名 *", "身份证号\n（必填）", "联系电话", "出生日期", "户籍地址", "人数合计"]
LONG_ID_FLOAT = 6.11002199001011e17  # an 18-digit ID typed into Excel as a number


class Formula:
    def __init__(self, formula: str, cached: float):
        self.formula, self.cached = formula, cached


def ledger_rows():
    """Spreadsheet rows 1..8 of the messy ledger (None = row left out entirely)."""
    return [
        [TITLE],  # 1: merged across all columns
        None,  # 2: blank row above the header
        HEADERS,  # 3: header with spaces, line breaks, asterisks, (必填)
        [
            1,
            "张三",
            "610102199001021234",
            13812345678.0,
            dt.date(1990, 1, 2),
            "陕西省商洛市",
            Formula("A4*2", 2),
        ],
        [2, "李四\u00a0", LONG_ID_FLOAT, "13912345678", 32875, "商州区, 城关街道", Formula("A5*2", 4)],
        None,  # 6: empty row in the middle
        ["", "   ", "\u3000", "", "", "", ""],  # 7: whitespace only -> empty
        [3, "\u3000王五 ", "61010219900102123X", "", "1990年1月2日", "", Formula("A8*2", 6)],
    ]


# ---------------------------------------------------------------------------------------
# fixture builders
# ---------------------------------------------------------------------------------------


def build_xlsx(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总表"
    formulas = {}
    for r, row in enumerate(ledger_rows(), start=1):
        for c, v in enumerate(row or [], start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(v, Formula):
                cell.value = "=" + v.formula
                formulas[cell.coordinate] = v.cached
            elif v != "":
                cell.value = v
                if isinstance(v, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.cell(row=4, column=3).number_format = "@"
    wb.save(path)
    # openpyxl stores no cached formula results; give them one, as Excel does when saving.
    with zipfile.ZipFile(path) as zin:
        entries = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for ref, cached in formulas.items():
                    xml, n = re.subn(
                        rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v\s*/?>(?:</v>)?', rf"\g<1><v>{cached}</v>", xml
                    )
                    assert n == 1, ref
                data = xml.encode()
            zout.writestr(info, data)
    return path


def build_xls(path):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("汇总表")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(ledger_rows()):
        if r == 0:
            ws.write_merge(0, 0, 0, len(HEADERS) - 1, TITLE)
            continue
        for c, v in enumerate(row or []):
            if isinstance(v, Formula):
                ws.write(r, c, xlwt.Formula(v.formula))
            elif isinstance(v, dt.date):
                ws.write(r, c, v, date_style)
            elif v != "":
                ws.write(r, c, v)
    wb.save(str(path))
    return path


def _ods_cell(v):
    if isinstance(v, Formula):
        return (
            f'<table:table-cell table:formula="of:={escape(v.formula)}" office:value-type="float" '
            f'office:value="{v.cached}"><text:p>{v.cached}</text:p></table:table-cell>'
        )
    if isinstance(v, bool) or v is None or v == "":
        return "<table:table-cell/>"
    if isinstance(v, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{v!r}"><text:p>{v}</text:p></table:table-cell>'
    if isinstance(v, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}">'
            f"<text:p>{v.isoformat()}</text:p></table:table-cell>"
        )
    lines = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(v).split("\n"))
    return f'<table:table-cell office:value-type="string">{lines}</table:table-cell>'


def build_ods(path):
    """A minimal but valid OpenDocument spreadsheet, written by hand (no ods writer installed)."""
    width = len(HEADERS)
    xml_rows = []
    for r, row in enumerate(ledger_rows()):
        if r == 0:
            cells = (
                f'<table:table-cell table:number-columns-spanned="{width}" office:value-type="string">'
                f"<text:p>{TITLE}</text:p></table:table-cell>"
                f'<table:covered-table-cell table:number-columns-repeated="{width - 1}"/>'
            )
        elif row is None:
            cells = "<table:table-cell/>"
        else:
            cells = "".join(_ods_cell(v) for v in row)
        xml_rows.append(f"<table:table-row>{cells}</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="汇总表">'
        f'<table:table-column table:number-columns-repeated="{width}"/>'
        + "".join(xml_rows)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )  # stored, first
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    d = tmp_path_factory.mktemp("ledgers")
    return {
        "xlsx": build_xlsx(d / "ledger.xlsx"),
        "xls": build_xls(d / "ledger.xls"),
        "ods": build_ods(d / "ledger.ods"),
    }


# ---------------------------------------------------------------------------------------
# reading workbooks
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_messy_ledger(workbooks, fmt):
    path = workbooks[fmt]
    table = read_table(
        path,
        filename=path.name,
        fields=FIELDS,
        required=REQUIRED,
        kinds={"birth_date": "date", "total": "raw"},
    )
    assert table.format == fmt
    assert table.sheet_name == "汇总表"
    assert table.header_row == 3
    assert table.columns == {
        "seq": 0,
        "name": 1,
        "id_number": 2,
        "phone": 3,
        "birth_date": 4,
        "total": 6,
    }
    assert table.headers[:3] == ["序号", " 姓\u3000名 *", "身份证号\n（必填）"]
    assert table.unmatched_headers == ["户籍地址"]

    rows = list(table.rows())
    assert [r.number for r in rows] == [4, 5, 8]
    assert table.skipped_empty == 2
    first, second, third = (r.values for r in rows)

    assert first["seq"] == "1"
    assert first["name"] == "张三"
    assert first["id_number"] == "610102199001021234"
    assert first["phone"] == "13812345678"  # float 13812345678.0 -> digits
    assert second["name"] == "李四"  # trailing NBSP stripped
    assert second["id_number"] == "6.11002199001011e+17"  # unrecoverable: reported as is
    assert second["phone"] == "13912345678"
    assert third["name"] == "王五"  # full-width spaces stripped
    assert third["id_number"] == "61010219900102123X"
    assert third["phone"] == ""

    assert [parse_date(v["birth_date"]) for v in (first, second, third)] == [dt.date(1990, 1, 2)] * 3
    assert second["birth_date"] == 32875  # a serial stays a number for parse_date
    if fmt != "xls":  # xlwt cannot store cached formula results
        assert [v["total"] for v in (first, second, third)] == [2, 4, 6]

    # the raw row keeps every original cell, unknown columns included
    assert rows[1].raw[5] == "商州区, 城关街道"
    assert rows[1].raw[:3] == ["2", "李四\u00a0", "6.11002199001011e+17"]


def test_text_kind_is_default(workbooks):
    table = read_table(workbooks["xlsx"], filename="ledger.xlsx", fields=FIELDS)
    values = [r.values for r in table.rows()]
    assert [v["birth_date"] for v in values] == ["1990-01-02", "32875", "1990年1月2日"]
    assert values[0]["total"] == "2"
    assert all(isinstance(x, str) for v in values for x in v.values())


def test_number_kind():
    assert excel._clean_typed(3.0, "number") == 3
    assert excel._clean_typed(" １２ ", "number") == 12
    assert excel._clean_typed("1,234.5", "number") == 1234.5
    assert excel._clean_typed("abc", "number") == "abc"
    assert excel._clean_typed("  ", "number") is None


@pytest.mark.parametrize("fake_name", ["ledger.xls", "ledger.csv", "ledger", "上传.XLSX"])
def test_extension_lies(workbooks, fake_name):
    table = read_table(io.BytesIO(workbooks["xlsx"].read_bytes()), filename=fake_name, fields=FIELDS)
    assert table.header_row == 3
    assert len(list(table.rows())) == 3


def test_xls_named_xlsx_and_ods_named_xls(workbooks):
    for fmt, fake in (("xls", "a.xlsx"), ("ods", "a.xls")):
        table = read_table(workbooks[fmt], filename=fake, fields=FIELDS, required=REQUIRED)
        assert table.format == fmt
        assert [r.values["name"] for r in table.rows()] == ["张三", "李四", "王五"]


def test_non_seekable_stream(workbooks):
    class Pipe:
        def __init__(self, data):
            self._buf = io.BytesIO(data)

        def read(self, n=-1):
            return self._buf.read(n)

        def seekable(self):
            return False

    table = read_table(Pipe(workbooks["xlsx"].read_bytes()), filename="x.xlsx", fields=FIELDS)
    assert len(list(table.rows())) == 3


def test_file_object_is_left_open(tmp_path):
    data = "姓名,身份证号\n张三,1\n".encode()
    fh = io.BytesIO(data)
    table = read_table(fh, filename="a.csv", fields=FIELDS, required=REQUIRED)
    assert [r.values["name"] for r in table.rows()] == ["张三"]
    assert not fh.closed


def test_rows_is_single_use(workbooks):
    table = read_table(workbooks["xlsx"], filename="ledger.xlsx", fields=FIELDS)
    list(table.rows())
    with pytest.raises(RuntimeError):
        table.rows()


def test_sheet_selection(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["无关"])
    ws = wb.create_sheet("名单")
    ws.append(["姓名", "身份证号"])
    ws.append(["张三", "1"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    for sheet in ("名单", 1):
        table = read_table(path, filename="two.xlsx", fields=FIELDS, sheet=sheet, required=REQUIRED)
        assert table.header_row == 1 and table.sheet_name == "名单"
    with pytest.raises(TableError) as err:
        read_table(path, filename="two.xlsx", fields=FIELDS, sheet="不存在")
    assert err.value.code == "sheet_not_found"
    with pytest.raises(TableError) as err:
        read_table(path, filename="two.xlsx", fields=FIELDS, sheet=5)
    assert err.value.code == "sheet_not_found"


def test_header_detection_prefers_most_matches_then_earliest(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["说明：姓名必须填写"])  # mentions a synonym inside a sentence -> no match
    ws.append(["姓名", "备注"])  # 1 match
    ws.append(["姓名", "身份证号", "电话"])  # 3 matches -> header
    ws.append(["名字", "证件号码", "手机号码"])  # 3 matches too, but later
    ws.append(["张三", "1", "2"])
    path = tmp_path / "h.xlsx"
    wb.save(path)
    table = read_table(path, filename="h.xlsx", fields=FIELDS)
    assert table.header_row == 3
    assert [r.number for r in table.rows()] == [4, 5]


def test_header_with_leading_empty_columns(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C5"], ws["D5"] = "姓名", "身份证号码(18位)"
    ws["C6"], ws["D6"] = "张三", "610102199001021234"
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    table = read_table(path, filename="offset.xlsx", fields=FIELDS, required=REQUIRED)
    assert table.header_row == 5
    [row] = table.rows()
    assert row.number == 6
    assert row.values == {"name": "张三", "id_number": "610102199001021234"}


def test_missing_required_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(f"{TITLE}\n姓名,联系电话\n张三,138\n", encoding="utf-8")
    with pytest.raises(TableError) as err:
        read_table(path, filename="m.csv", fields=FIELDS, required=REQUIRED)
    assert err.value.code == "missing_columns"
    assert err.value.missing == ["id_number"]
    assert "身份证号" in err.value.message


def test_no_header_at_all(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(TableError) as err:
        read_table(path, filename="n.csv", fields=FIELDS, required=REQUIRED)
    assert err.value.code == "missing_columns"
    assert set(err.value.missing) == REQUIRED


def test_header_beyond_scan_window_is_not_found(tmp_path):
    path = tmp_path / "deep.csv"
    path.write_text("\n" * 5 + "姓名,身份证号\n张三,1\n", encoding="utf-8")
    with pytest.raises(TableError) as err:
        read_table(path, filename="deep.csv", fields=FIELDS, max_header_scan=5)
    assert err.value.code == "missing_columns"
    assert read_table(path, filename="deep.csv", fields=FIELDS, max_header_scan=6).header_row == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 姓\u3000名 *", "姓名"),
        ("身份证号\n（必填）", "身份证号"),
        ("*身份证号(必填)*", "身份证号"),
        ("联系电话【必填】", "联系电话"),
        ("Phone Number", "phonenumber"),
        ("ＩＤ　Ｎｏ．", "idno."),
        (None, ""),
        (12, "12"),
    ],
)
def test_normalize_header(text, expected):
    assert normalize_header(text) == expected


# ---------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------

RARE_NAME = "王\U0002b5ae"  # a character only GB18030 (not GBK) can encode


def csv_bytes(encoding, delimiter, name="赵六"):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([TITLE] + [""] * 5)
    writer.writerow([])
    writer.writerow(["序号", "姓名*", "身份证号（必填）", "联系电话", "出生日期", "户籍地址"])
    writer.writerow(["1", name, "610102199001021234", "13812345678", "1990/1/2", "陕西省，商洛市"])
    writer.writerow(["", "", "", "", "", ""])
    writer.writerow(["2", "  孙七　", "61010219900102123X", "", "1990年1月2日", "商州区, 城关\n街道"])
    writer.writerow(["3", "周八", "610102199001021234", "0914-1234567", "19900102", "地址；分号"])
    return buf.getvalue().encode(encoding)


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
@pytest.mark.parametrize(
    ("encoding", "expected_encoding", "name"),
    [
        ("utf-8-sig", "utf-8-sig", RARE_NAME),
        ("utf-8", "utf-8", RARE_NAME),
        ("gbk", "gb18030", "赵六"),
        ("gb18030", "gb18030", RARE_NAME),
        ("utf-16", "utf-16", RARE_NAME),
    ],
)
def test_csv_encodings_and_delimiters(tmp_path, encoding, expected_encoding, name, delimiter):
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes(encoding, delimiter, name))
    table = read_table(path, filename="ledger.csv", fields=FIELDS, required=REQUIRED)
    assert (table.encoding, table.delimiter, table.format) == (expected_encoding, delimiter, "csv")
    assert table.header_row == 3
    rows = list(table.rows())
    assert [r.number for r in rows] == [4, 6, 7]
    assert table.skipped_empty == 1
    assert [r.values["name"] for r in rows] == [name, "孙七", "周八"]
    assert rows[0].raw[5] == "陕西省，商洛市"  # the full-width comma is not a delimiter
    assert rows[1].raw[5] == "商州区, 城关\n街道"
    assert rows[2].values["phone"] == "0914-1234567"
    assert {parse_date(r.values["birth_date"]) for r in rows} == {dt.date(1990, 1, 2)}


def test_tab_separated_text_named_xls(tmp_path):
    """Some systems export tab-separated text and call it .xls."""
    path = tmp_path / "export.xls"
    path.write_bytes(csv_bytes("gbk", "\t"))
    table = read_table(path, filename="export.xls", fields=FIELDS, required=REQUIRED)
    assert (table.format, table.delimiter) == ("csv", "\t")
    assert len(list(table.rows())) == 3


def test_csv_invalid_in_both_encodings(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("姓名,身份证号\n".encode() + b"\xff\xfe\xfd\x80,1\n")
    with pytest.raises(TableError) as err:
        read_table(path, filename="bad.csv", fields=FIELDS)
    assert err.value.code == "unreadable"


def test_csv_streams_large_file_without_materialising(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "身份证号"])
        w.writerows(["张三", f"6101021990010{i:05d}"] for i in range(20_000))
    tracemalloc.start()
    try:
        table = read_table(path, filename="big.csv", fields=FIELDS)
        count = sum(1 for _ in table.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 3_000_000  # the whole file as list of lists would be several MB


# ---------------------------------------------------------------------------------------
# unreadable files
# ---------------------------------------------------------------------------------------


def _rand(n, seed=0):
    return random.Random(seed).randbytes(n)


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("random.xlsx", _rand(4096)),
        ("random.csv", _rand(4096, 1)),
        ("random.bin", _rand(4096, 2)),
        ("truncated.xlsx", b"PK\x03\x04" + _rand(2000, 3)),
        ("encrypted.xlsx", excel._OLE_MAGIC + _rand(4000, 4)),
        ("broken.xls", excel._OLE_MAGIC + _rand(4000, 5)),
        ("page.xls", "<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode()),
        ("empty.xlsx", b""),
        ("empty.csv", b""),
    ],
)
def test_unreadable(tmp_path, filename, data):
    path = tmp_path / filename
    path.write_bytes(data)
    for source in (path, io.BytesIO(data)):
        with pytest.raises(TableError) as err:
            table = read_table(source, filename=filename, fields=FIELDS)
            list(table.rows())
        assert err.value.code in {"unreadable", "missing_columns"}
        if filename.endswith((".xlsx", ".xls", ".bin")):
            assert err.value.code == "unreadable"
        assert err.value.message


def test_zip_that_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "docs.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(TableError) as err:
        read_table(path, filename="docs.xlsx", fields=FIELDS)
    assert err.value.code == "unreadable"


def test_encrypted_workbook_message(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(excel._OLE_MAGIC + _rand(4000, 6))
    with pytest.raises(TableError) as err:
        read_table(path, filename="locked.xlsx", fields=FIELDS)
    assert "密码" in err.value.message


def test_missing_file(tmp_path):
    with pytest.raises(TableError) as err:
        read_table(tmp_path / "nope.xlsx", filename="nope.xlsx", fields=FIELDS)
    assert err.value.code == "unreadable"


# ---------------------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
        (dt.datetime(1990, 1, 2, 23, 59), dt.date(1990, 1, 2)),
        (32875, dt.date(1990, 1, 2)),
        (32875.75, dt.date(1990, 1, 2)),
        (Decimal("32875"), dt.date(1990, 1, 2)),
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (2958465, dt.date(9999, 12, 31)),
        ("1990-01-02", dt.date(1990, 1, 2)),
        ("1990/1/2", dt.date(1990, 1, 2)),
        ("1990.1.2", dt.date(1990, 1, 2)),
        ("1990年1月2日", dt.date(1990, 1, 2)),
        ("1990 年 1 月 2 号", dt.date(1990, 1, 2)),
        ("19900102", dt.date(1990, 1, 2)),
        ("１９９０－０１－０２", dt.date(1990, 1, 2)),
        ("１９９０年１月２日", dt.date(1990, 1, 2)),
        (" 1990-01-02 08:30:00 ", dt.date(1990, 1, 2)),
        ("1990-01-02T08:30:00+08:00", dt.date(1990, 1, 2)),
        (None, None),
        ("", None),
        ("\u3000 ", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        60,
        0,
        -1,
        2958466,
        1e20,
        float("nan"),
        True,
        "2.1.1990",
        "02/01/1990",
        "1990-02-30",
        "19901302",
        "1990-1/2",
        "abc",
        "1990",
        "32875",
        [1990],
    ],
)
def test_parse_date_rejects(value):
    with pytest.raises(ValueError) as err:
        parse_date(value)
    assert re.search(r"[\u4e00-\u9fff]", str(err.value)), "message must be Chinese"


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_parse_date_serial_round_trip(d):
    serial = (d - dt.date(1899, 12, 30)).days  # how Excel stores dates after 1900-02-28
    assert parse_date(serial) == d
    assert parse_date(float(serial) + 0.5) == d


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=dt.date(1000, 1, 1)),
    st.sampled_from(
        [
            "{:%Y-%m-%d}",
            "{0.year}/{0.month}/{0.day}",
            "{0.year}.{0.month}.{0.day}",
            "{0.year}年{0.month}月{0.day}日",
            "{:%Y%m%d}",
        ]
    ),
)
def test_parse_date_string_round_trip(d, pattern):
    assert parse_date(pattern.format(d)) == d


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("   =HYPERLINK()", "'   =HYPERLINK()"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        ("", ""),
        (5, 5),
        (None, None),
    ],
)
def test_neutralize_cell(value, expected):
    assert neutralize_cell(value) == expected


@given(st.text(max_size=20))
def test_neutralize_cell_properties(s):
    out = neutralize_cell(s)
    assert out in (s, "'" + s)
    assert neutralize_cell(out) == out
    assert not out.lstrip(" \u00a0\u3000")[:1] or out.lstrip(" \u00a0\u3000")[0] not in "=+-@\t\r"


def test_stream_writer_types_and_layout(tmp_path):
    aware = dt.datetime(2022, 3, 1, 2, 30, tzinfo=dt.UTC)
    with XlsxStreamWriter(tmp_path / "out.xlsx", tz=ZoneInfo("Asia/Shanghai")) as w:
        w.add_sheet(
            "居民/名单", ["姓名", "身份证号", "联系电话", "出生日期", "登记时间", "年龄", "备注", "其他"]
        )
        w.write_row(
            [
                '=HYPERLINK("http://x")',
                "610102199001021234",
                "13812345678",
                dt.date(1990, 1, 2),
                aware,
                32,
                None,
                True,
            ]
        )
        w.write_row(
            [
                "-1+1",
                "0610",
                "  @x",
                dt.date(2000, 2, 29),
                dt.datetime(2022, 3, 1, 8, 5),
                Decimal("1.5"),
                611002199001011234,
                False,
            ]
        )
    path = w.close()
    assert path == str(tmp_path / "out.xlsx")

    ws = openpyxl.load_workbook(path).active
    assert ws.title == "居民_名单"
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b and ws["H1"].font.b
    r2 = [c.value for c in ws[2]]
    assert r2[0] == '\'=HYPERLINK("http://x")' and ws["A2"].data_type == "s"
    assert r2[1:3] == ["610102199001021234", "13812345678"]  # stay text
    assert ws["B2"].data_type == "s" and ws["C2"].data_type == "s"
    assert r2[3] == dt.datetime(1990, 1, 2) and ws["D2"].number_format == "yyyy-mm-dd"
    assert r2[4] == dt.datetime(2022, 3, 1, 10, 30) and ws["E2"].number_format == "yyyy-mm-dd hh:mm"
    assert r2[5] == 32 and ws["F2"].data_type == "n"
    assert r2[6] is None
    assert r2[7] == "是"
    r3 = [c.value for c in ws[3]]
    assert r3[:3] == ["'-1+1", "0610", "'  @x"]
    assert r3[5] == 1.5
    assert r3[6] == "611002199001011234"  # a 16+ digit integer would be rounded as a number
    assert r3[7] == "否"
    # widths: CJK counts double, short headers get a minimum
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width

    rows = list(CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows())
    assert rows[1][1] == "610102199001021234"


def test_stream_writer_rollover(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "MAX_DATA_ROWS", 10)
    with XlsxStreamWriter(tmp_path / "roll.xlsx") as w:
        w.add_sheet("居民", ["序号", "身份证号"])
        for i in range(25):
            w.write_row([i, f"61010219900102{i:04d}"])
        w.add_sheet("居民", ["其他"])  # same title again gets a unique name
        w.write_row(["x"])
    wb = CalamineWorkbook.from_path(w.path)
    assert wb.sheet_names == ["居民", "居民 (2)", "居民 (3)", "居民 (4)"]
    counts = []
    for name in wb.sheet_names[:3]:
        rows = wb.get_sheet_by_name(name).to_python()
        assert rows[0] == ["序号", "身份证号"]
        counts.append(len(rows) - 1)
    assert counts == [10, 10, 5]
    assert wb.get_sheet_by_name("居民 (3)").to_python()[-1] == [24.0, "610102199001020024"]
    second = openpyxl.load_workbook(w.path)["居民 (2)"]
    assert second.freeze_panes == "A2" and second["A1"].font.b


def test_stream_writer_temp_file_and_errors(tmp_path):
    w = XlsxStreamWriter()
    with pytest.raises(RuntimeError):
        w.write_row(["x"])
    path = w.close()
    assert path.endswith(".xlsx") and CalamineWorkbook.from_path(path).sheet_names
    os.unlink(path)

    with pytest.raises(ZeroDivisionError):
        with XlsxStreamWriter() as failing:
            failing.add_sheet("a", ["b"])
            1 / 0  # noqa: B018
    assert not os.path.exists(failing.path)  # a temp export that failed is removed


def test_stream_writer_memory_is_flat(tmp_path):
    """200,000 rows were checked by hand (growth ~0.7 MB). Here 25,000 rows under tracemalloc
    may grow at most 4 MB (30 MB per 200,000 rows, scaled down); XlsxWriter without
    constant_memory needs ~15 MB for the same rows, so the check does discriminate."""
    row = ("张三", "611002199001011234", 13812345678, dt.date(1990, 1, 2))
    with XlsxStreamWriter(tmp_path / "big.xlsx") as w:
        w.add_sheet("居民", ["姓名", "身份证号", "电话", "出生日期"])
        for _ in range(1000):  # warm up formats and buffers
            w.write_row(row)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for _ in range(25_000):
                w.write_row(row)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak - base < 4_000_000
    assert w.rows_written == 26_000


def test_error_workbook_round_trip(workbooks, tmp_path):
    table = read_table(workbooks["xlsx"], filename="ledger.xlsx", fields=FIELDS, required=REQUIRED)
    rejected = []
    for row in table.rows():
        if not re.fullmatch(r"\d{17}[\dX]", row.values["id_number"]):
            rejected.append((row.number, row.raw, f"身份证号“{row.values['id_number']}”无效"))
    assert [r[0] for r in rejected] == [5]
    path = write_error_workbook(tmp_path / "errors.xlsx", table.headers, rejected)

    again = read_table(path, filename="errors.xlsx", fields=FIELDS, required=REQUIRED)
    assert again.header_row == 1
    assert again.headers == ["原行号", "错误原因", *table.headers]
    assert again.unmatched_headers == ["原行号", "错误原因", "户籍地址"]
    [row] = list(again.rows())
    assert row.raw[0] == "5"
    assert "无效" in row.raw[1]
    assert row.raw[2:] == rejected[0][1]
    assert row.values["name"] == "李四"


def test_error_workbook_neutralises_cells(tmp_path):
    path = write_error_workbook(
        tmp_path / "e.xlsx", ["姓名", "身份证号"], [(7, ["=cmd|' /C calc'!A0", 6.1e17], "bad")]
    )
    rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    assert rows[1] == [7.0, "bad", "'=cmd|' /C calc'!A0", "6.1e+17"]


def test_template_reimports(tmp_path):
    headers = ["姓名*", "身份证号*", "联系电话", "出生日期", "门牌号"]
    path = template_workbook(
        tmp_path / "tpl.xlsx",
        "常住人口导入模板",
        headers,
        ["张三", "610102199001021234", "13812345678", "1990-01-02", "3-2-101"],
        ["带 * 的列必须填写", "身份证号请填写 18 位"],
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["常住人口导入模板", "说明"]
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == headers and ws.max_row == 1  # header in row 1, nothing else
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].number_format == "@"
    assert ws.column_dimensions["C"].number_format == "@"
    assert ws.column_dimensions["D"].number_format == "yyyy-mm-dd"
    assert "610102199001021234" in ws["B1"].comment.text
    notes = [c.value for c in wb["说明"]["A"] if c.value]
    assert notes[1:3] == ["1. 带 * 的列必须填写", "2. 身份证号请填写 18 位"]

    fields = {
        "name": ["姓名"],
        "id_number": ["身份证号"],
        "phone": ["联系电话"],
        "birth_date": ["出生日期"],
        "room": ["门牌号"],
    }
    empty = read_table(path, filename="tpl.xlsx", fields=fields, required=set(fields))
    assert empty.header_row == 1 and list(empty.rows()) == []

    ws.append(["李四", "061010199001021234", "013812345678", dt.date(1990, 1, 2), "3-2-101"])
    wb.save(path)
    table = read_table(
        path, filename="tpl.xlsx", fields=fields, required=set(fields), kinds={"birth_date": "date"}
    )
    [row] = list(table.rows())
    assert row.number == 2
    assert row.values == {
        "name": "李四",
        "id_number": "061010199001021234",
        "phone": "013812345678",
        "birth_date": dt.date(1990, 1, 2),
        "room": "3-2-101",
    }
