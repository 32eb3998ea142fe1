"""Spreadsheet import and export for community ledgers (《常住人口信息汇总表》 and friends).

Reading (``read_table``)
    Opens .xlsx/.xlsm/.xlsb/.xls/.ods through python-calamine and .csv/.txt as text, whatever
    the file is called (the real format is sniffed from magic bytes when the extension lies).
    Finds the real header row below title rows / merged titles by matching header synonyms,
    maps columns to canonical field names and yields cleaned ``Row`` objects one at a time.
    Every failure to open a file is a ``TableError`` -- never another exception type.

Dates (``parse_date``)
    date/datetime objects, Excel serial numbers (1900 date system) and the Y-M-D spellings
    people actually type.

Writing (``XlsxStreamWriter``, ``write_error_workbook``, ``template_workbook``)
    Constant-memory xlsx export with sheet rollover, text-safe ID numbers and phones, and
    formula-injection neutralisation (``neutralize_cell`` is exported for CSV writers too).

The module does not touch the ORM and needs no Django settings.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import itertools
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

from fangkong.core.errors import ServiceError

__all__ = [
    "MAX_DATA_ROWS",
    "Row",
    "Table",
    "TableError",
    "XlsxStreamWriter",
    "display_width",
    "neutralize_cell",
    "normalize_header",
    "parse_date",
    "read_table",
    "template_workbook",
    "write_error_workbook",
]


def gettext_noop(message: str) -> str:
    """Marks a message for ``makemessages`` without needing configured Django settings."""
    return message


N_ = gettext_noop

# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class TableError(ServiceError):
    """The uploaded file cannot be used.

    ``code`` is one of ``"unreadable"`` (not a spreadsheet, corrupt, encrypted, bad encoding),
    ``"missing_columns"`` (``missing`` lists the canonical field names) or ``"sheet_not_found"``.
    ``message`` is a Chinese sentence that can be shown to the user as is.
    """

    code = "unreadable"

    def __init__(self, code: str, message: str, *, missing: Iterable[str] = (), **extra: Any):
        super().__init__(message, code=code, **extra)
        self.missing = list(missing)

    def __repr__(self) -> str:
        return f"TableError(code={self.code!r}, message={self.message!r}, missing={self.missing!r})"


# --------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------

# Every Unicode whitespace character plus zero-width characters and the BOM.
_STRIP_CHARS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\u200c\u200d\u2060\ufeff"
_WS_RE = re.compile("[" + re.escape(_STRIP_CHARS) + "]+")
_HEADER_MARK_RE = re.compile(
    r"^[*※]+|(?:[*※]|\((?:必填|必须|必需|选填)\)|\[(?:必填|必须|必需|选填)\]|【(?:必填|必须|必需|选填)】)+$"
)
_TRAILING_PAREN_RE = re.compile(r"\([^()]*\)$")


def normalize_header(text: Any) -> str:
    """Canonical form of a header cell used for synonym matching.

    NFKC (full-width -> half-width letters, digits and brackets), all whitespace removed
    (including full-width spaces and line breaks inside the cell), leading/trailing "*" and
    "(必填)"-style markers removed, Latin letters case-folded.
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", text if isinstance(text, str) else _cell_text(text))
    s = _WS_RE.sub("", s)
    prev = None
    while prev != s:
        prev = s
        s = _HEADER_MARK_RE.sub("", s)
    return s.casefold()


def display_width(text: str) -> int:
    """Width of ``text`` in monospace cells: CJK / full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _format_float(v: float) -> str:
    """How a float reads as text: whole numbers below 1e15 as digits, otherwise 15 significant
    digits like Excel shows them (so an ID number mangled into 6.11002199001011e+17 stays
    visibly mangled instead of turning into a plausible but wrong 611002199001011000)."""
    if v.is_integer() and -1e15 < v < 1e15:
        return str(int(v))
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    return format(v, ".15g")


def _cell_text(v: Any) -> str:
    """A cell value as the text a user sees (used for ``Row.raw`` and for text fields)."""
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is float:
        return _format_float(v)
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int:
        return str(v)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0) and v.tzinfo is None:
            return v.date().isoformat()
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, float):
        return _format_float(float(v))
    return str(v)


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------

_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 61 == 1900-03-01 once the fake 1900-02-29 is skipped
_DATE_SEP_RE = re.compile(
    r"^(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?:(?:\s+|T)\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_DATE_CN_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_DATE_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _excel_serial_to_date(serial: float) -> dt.date:
    n = int(serial)  # a fractional part is the time of day
    if n == 60:
        raise ValueError(N_("Excel 日期序号 60 对应不存在的 1900年2月29日"))
    if n < 60:
        return dt.date(1899, 12, 31) + dt.timedelta(days=n)
    return _EXCEL_EPOCH + dt.timedelta(days=n)


def parse_date(value: Any) -> dt.date | None:
    """Parse a date from what a spreadsheet or a user gives us.

    Accepts ``date``/``datetime`` objects, Excel serial numbers (int/float/Decimal in
    1..2958465, 1900 date system including Lotus' phantom 1900-02-29: serial 60 is rejected,
    later serials are shifted by one) and the strings "1990-01-02", "1990/1/2", "1990.1.2",
    "1990年1月2日", "19900102" -- full-width digits and punctuation included, an optional
    time part after Y-M-D is ignored. Only year-month-day order is accepted.
    ``None`` and blank strings give ``None``; anything else raises ``ValueError`` with a
    Chinese message.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(N_("无法识别的日期：%(value)s") % {"value": value})
    if isinstance(value, (int, float, Decimal)):
        if value != value:  # NaN
            raise ValueError(N_("无法识别的日期：%(value)s") % {"value": value})
        if not (1 <= value <= _EXCEL_MAX_SERIAL):
            raise ValueError(N_("日期数值 %(value)s 超出 Excel 日期范围") % {"value": value})
        return _excel_serial_to_date(float(value))
    if not isinstance(value, str):
        raise ValueError(N_("无法识别的日期：%(value)s") % {"value": value})
    text = unicodedata.normalize("NFKC", value).strip(_STRIP_CHARS)
    if not text:
        return None
    m = _DATE_SEP_RE.match(text)
    if m:
        y, mo, d = m.group(1), m.group(3), m.group(4)
    else:
        m = _DATE_CN_RE.match(text) or _DATE_COMPACT_RE.match(text)
        if not m:
            raise ValueError(
                N_("无法识别的日期：“%(value)s”，请按“年-月-日”填写，例如 1990-01-02")
                % {"value": value.strip()}
            )
        y, mo, d = m.groups()
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        raise ValueError(N_("日期不存在：“%(value)s”") % {"value": value.strip()}) from None


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------

WORKBOOK_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CSV_DELIMITERS = (",", "\t", ";")
_CSV_SAMPLE_CHARS = 64 * 1024
_CHUNK = 1 << 20

KINDS = frozenset({"text", "date", "number", "raw"})


@dataclass(slots=True)
class Row:
    number: int  # 1-based row number as shown in Excel (record number for CSV)
    values: dict[str, Any]  # canonical field -> cleaned value
    raw: list[str]  # every original cell as text, for the error workbook


@dataclass(eq=False)
class Table:
    """A located header plus a one-shot iterator over the data rows (see ``rows()``)."""

    header_row: int  # 1-based, as shown in Excel
    columns: dict[str, int]  # canonical field -> index into ``headers`` / ``Row.raw``
    headers: list[str]  # header texts as found in the file
    unmatched_headers: list[str]  # non-blank header texts that matched no field (kept in raw)
    format: str  # "xlsx", "xls", "ods", "csv" ...
    sheet_name: str | None = None
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only
    skipped_empty: int = 0  # blank rows skipped so far (final once rows() is exhausted)
    _source: Iterator[tuple[int, list[Any]]] | None = field(default=None, repr=False)
    _kinds: dict[str, str] = field(default_factory=dict, repr=False)
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def rows(self) -> Iterator[Row]:
        """Yield the data rows below the header; completely blank rows are skipped and counted
        in ``skipped_empty``. Single use: the rows are streamed from the file."""
        if self._source is None:
            raise RuntimeError("Table.rows() can only be iterated once")
        source, self._source = self._source, None
        return self._iter_rows(source)

    def _iter_rows(self, source: Iterator[tuple[int, list[Any]]]) -> Iterator[Row]:
        strip = _STRIP_CHARS
        cell_text = _cell_text
        plan = [(name, idx, self._kinds.get(name, "text")) for name, idx in self.columns.items()]
        all_text = all(kind == "text" for _, _, kind in plan)
        try:
            for number, cells in source:
                raw = [c if type(c) is str else cell_text(c) for c in cells]
                if not any(raw) or not any(s.strip(strip) for s in raw):
                    self.skipped_empty += 1
                    continue
                n = len(raw)
                if all_text:
                    values = {name: raw[idx].strip(strip) if idx < n else "" for name, idx, _ in plan}
                else:
                    values = {}
                    for name, idx, kind in plan:
                        if kind == "text":
                            values[name] = raw[idx].strip(strip) if idx < n else ""
                        else:
                            values[name] = _clean_typed(cells[idx] if idx < n else None, kind)
                yield Row(number, values, raw)
        except TableError:
            raise
        except (csv.Error, UnicodeDecodeError, OSError) as exc:
            raise TableError(
                "unreadable", N_("文件读取中途出错，文件可能已损坏：%(error)s") % {"error": exc}
            ) from exc
        finally:
            self.close()

    def close(self) -> None:
        closers, self._closers = self._closers, []
        for closer in reversed(closers):
            try:
                closer()
            except Exception:  # pragma: no cover - closing must not mask the real error
                pass

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")


def _clean_typed(v: Any, kind: str) -> Any:
    if kind == "raw":
        return v
    if isinstance(v, str):
        v = v.strip(_STRIP_CHARS)
        if not v:
            return None
        if kind == "number":
            s = unicodedata.normalize("NFKC", v).replace(",", "")
            if _INT_RE.match(s):
                return int(s)
            if _FLOAT_RE.match(s):
                return float(s)
        return v
    if v is None:
        return None
    if kind == "number" and type(v) is float and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v


def _field_lookup(fields: Mapping[str, Iterable[str]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for name, synonyms in fields.items():
        if isinstance(synonyms, str):
            synonyms = [synonyms]
        for syn in synonyms:
            key = normalize_header(syn)
            if key and key not in lookup:
                lookup[key] = name
    return lookup


def _match_header(cells: list[Any], lookup: dict[str, str]) -> dict[str, int]:
    matched: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        key = normalize_header(cell)
        if not key:
            continue
        name = lookup.get(key)
        if name is None and key.endswith(")"):
            # "身份证号码(18位)", "联系电话(手机)" -> try without the trailing remark
            name = lookup.get(_TRAILING_PAREN_RE.sub("", key))
        if name is not None and name not in matched:
            matched[name] = idx
    return matched


def _field_label(fields: Mapping[str, Iterable[str]], name: str) -> str:
    synonyms = fields.get(name) or [name]
    return synonyms if isinstance(synonyms, str) else (list(synonyms) or [name])[0]


def read_table(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    filename: str,
    fields: Mapping[str, Iterable[str]],
    required: Collection[str] = frozenset(),
    sheet: int | str = 0,
    max_header_scan: int = 20,
    kinds: Mapping[str, str] | None = None,
) -> Table:
    """Open an uploaded ledger and locate its header.

    ``source`` is a path or a binary file object (left open, but read from its current
    position); ``filename`` is the name the user uploaded, whose extension picks the format
    (.xlsx/.xlsm/.xlsb/.xls/.ods via calamine, .csv/.txt/.tsv as text) unless the magic bytes
    say otherwise. ``fields`` maps canonical field names to header synonyms. ``kinds``
    optionally maps fields to how values are cleaned:

    * ``"text"`` (default): always a stripped ``str`` ("" when blank); whole-number floats
      below 1e15 become digits ("13812345678"), larger ones keep their float spelling
      ("6.11002199001011e+17") so the caller can reject a mangled ID number; dates become ISO.
    * ``"date"``: ``date``/``datetime`` objects and Excel serial numbers are kept as they are
      (feed them to ``parse_date``), strings are stripped, blank is ``None``.
    * ``"number"``: ints/floats (whole floats -> int); numeric strings converted; other
      strings returned stripped for the caller to reject; blank is ``None``.
    * ``"raw"``: the cell exactly as calamine / the CSV reader gave it.

    Raises ``TableError`` (``unreadable``, ``missing_columns``, ``sheet_not_found``).
    """
    kinds = dict(kinds or {})
    unknown = (set(required) | set(kinds)) - set(fields)
    if unknown:
        raise ValueError(f"required/kinds name fields that are not in `fields`: {sorted(unknown)}")
    bad_kinds = set(kinds.values()) - KINDS
    if bad_kinds:
        raise ValueError(f"unknown kinds {sorted(bad_kinds)}; use one of {sorted(KINDS)}")

    closers: list[Callable[[], None]] = []
    try:
        fh, start = _open_binary(source, closers)
        fmt = _detect_format(fh, start, filename)
        table = Table(
            header_row=0, columns={}, headers=[], unmatched_headers=[], format=fmt, _closers=closers
        )
        if fmt == "csv":
            rows_iter = _csv_rows(fh, start, table)
        else:
            rows_iter = _workbook_rows(fh, start, os.path.splitext(filename or "")[1].lower(), sheet, table)
            _run_closers(closers)  # calamine holds the whole sheet now; release the file
        _locate_header(table, rows_iter, fields, set(required), max_header_scan)
        table._kinds = kinds
        return table
    except BaseException as exc:
        _run_closers(closers)
        if isinstance(exc, TableError) or not isinstance(exc, Exception):
            raise
        raise TableError("unreadable", N_("无法读取该文件：%(error)s") % {"error": exc}) from exc


def _run_closers(closers: list[Callable[[], None]]) -> None:
    while closers:
        try:
            closers.pop()()
        except Exception:  # pragma: no cover
            pass


def _open_binary(source: Any, closers: list[Callable[[], None]]) -> tuple[IO[bytes], int]:
    """A seekable binary handle plus the position the data starts at."""
    if isinstance(source, (str, os.PathLike)):
        try:
            fh = open(source, "rb")  # noqa: SIM115 - closed through `closers`
        except OSError as exc:
            raise TableError("unreadable", N_("无法打开文件：%(error)s") % {"error": exc}) from exc
        closers.append(fh.close)
        return fh, 0
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), 0
    if not hasattr(source, "read"):
        raise TypeError("source must be a path or a binary file object")
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        return source, source.tell()
    # Non-seekable stream (e.g. a socket): spool it so we can sniff and rewind.
    spool = tempfile.SpooledTemporaryFile(max_size=32 * _CHUNK)
    closers.append(spool.close)
    while chunk := source.read(_CHUNK):
        if isinstance(chunk, str):
            raise TypeError("source must be opened in binary mode")
        spool.write(chunk)
    spool.seek(0)
    return spool, 0


def _detect_format(fh: IO[bytes], start: int, filename: str) -> str:
    fh.seek(start)
    head = fh.read(8192)
    fh.seek(start)
    if isinstance(head, str):
        raise TypeError("source must be opened in binary mode")
    ext = os.path.splitext(filename or "")[1].lower()
    if not head:
        raise TableError("unreadable", N_("文件是空的"))
    if head.startswith(_ZIP_MAGIC):
        if head[30:38] == b"mimetype" and b"opendocument.spreadsheet" in head[38:120]:
            return "ods"
        return ext[1:] if ext in {".xlsx", ".xlsm", ".xlsb"} else "xlsx"
    if head.startswith(_OLE_MAGIC):
        # Either a real .xls or an encrypted (password-protected) .xlsx; calamine decides.
        return "xls"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")) and ext not in TEXT_EXTENSIONS:
        raise TableError(
            "unreadable",
            N_(
                "该文件不是真正的 Excel 文件（可能是网页或 XML 格式），请用 Excel 打开后“另存为” .xlsx 再上传"
            ),
        )
    if ext in TEXT_EXTENSIONS or _looks_like_text(head):
        # Many systems export tab-separated text and call it .xls; that is fine as CSV.
        return "csv"
    raise TableError("unreadable", N_("无法识别的文件格式，请上传 .xlsx、.xls、.ods 或 .csv 文件"))


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        return True
    if b"\x00" in head:
        return False
    sample = head[:-4]  # do not judge a character cut in half at the end of the sample
    for enc in ("utf-8", "gb18030"):
        try:
            sample.decode(enc)
            return True
        except UnicodeDecodeError:
            pass
    return False


# ---- workbooks ---------------------------------------------------------------------------


@functools.cache
def _calamine_rows_are_absolute() -> bool:
    """python-calamine's ``iter_rows`` starts at row 0 in some versions and at the first used
    row in others; probe once with a tiny workbook whose only cell is B3."""
    from python_calamine import CalamineWorkbook

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet().write_string(2, 1, "x")
    wb.close()
    buf.seek(0)
    rows = list(CalamineWorkbook.from_filelike(buf).get_sheet_by_index(0).iter_rows())
    return len(rows) == 3


def _workbook_rows(
    fh: IO[bytes], start: int, ext: str, sheet: int | str, table: Table
) -> Iterator[tuple[int, list[Any]]]:
    from python_calamine import CalamineWorkbook, PasswordError

    fh.seek(start)
    try:
        wb = CalamineWorkbook.from_filelike(fh)
    except PasswordError as exc:
        raise TableError("unreadable", N_("文件设置了密码，请取消密码保护后再上传")) from exc
    except BaseException as exc:  # calamine raises its own errors and even Rust panics
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        fh.seek(start)
        # A password-protected .xlsx is an OLE container holding an "EncryptedPackage".
        encrypted = fh.read(8) == _OLE_MAGIC and ext in {".xlsx", ".xlsm", ".xlsb"}
        if encrypted or "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise TableError("unreadable", N_("文件设置了密码，请取消密码保护后再上传")) from exc
        raise TableError(
            "unreadable", N_("无法打开该文件，文件可能已损坏或不是表格文件（%(error)s）") % {"error": exc}
        ) from exc
    try:
        names = wb.sheet_names
        if isinstance(sheet, str):
            if sheet not in names:
                raise TableError(
                    "sheet_not_found", N_("找不到名为“%(sheet)s”的工作表") % {"sheet": sheet}, sheets=names
                )
            ws = wb.get_sheet_by_name(sheet)
        else:
            if not 0 <= sheet < len(names):
                raise TableError(
                    "sheet_not_found", N_("找不到第 %(n)s 个工作表") % {"n": sheet + 1}, sheets=names
                )
            ws = wb.get_sheet_by_index(sheet)
        table.sheet_name = ws.name
        first_row = 0
        if not _calamine_rows_are_absolute():
            first_row = (ws.start or (0, 0))[0]
        rows = ws.iter_rows()
    except TableError:
        raise
    except BaseException as exc:
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise TableError("unreadable", N_("无法读取工作表：%(error)s") % {"error": exc}) from exc
    finally:
        try:
            wb.close()
        except Exception:  # pragma: no cover
            pass
    return zip(itertools.count(first_row + 1), rows)


# ---- CSV -------------------------------------------------------------------------------


def _valid_in(fh: IO[bytes], start: int, encoding: str) -> bool:
    """Decode the whole stream chunk by chunk (no copy kept) to check the encoding."""
    fh.seek(start)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := fh.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False
    finally:
        fh.seek(start)


def _detect_encoding(fh: IO[bytes], start: int) -> str:
    fh.seek(start)
    head = fh.read(4096)
    fh.seek(start)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        # UTF-16 without a BOM: mostly ASCII, so half of the bytes are NUL.
        even = head[0::2].count(0)
        odd = head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return "utf-16-le"
        if even > len(head) // 4 and odd == 0:
            return "utf-16-be"
        raise TableError("unreadable", N_("文件不是文本表格，无法读取"))
    for encoding in ("utf-8", "gb18030"):
        if _valid_in(fh, start, encoding):
            return encoding
    raise TableError("unreadable", N_("无法识别文件编码，请另存为 UTF-8 编码的 CSV 或 .xlsx 文件后再上传"))


def _detect_delimiter(sample: str) -> str:
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines.pop()  # a line cut off by the sample size
    lines = lines[:50]
    best, best_score = ",", (0, 0)
    for delim in _CSV_DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delim) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        widths = [w for w in widths if w > 1]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        score = (count, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _csv_rows(fh: IO[bytes], start: int, table: Table) -> Iterator[tuple[int, list[Any]]]:
    encoding = _detect_encoding(fh, start)
    fh.seek(start)
    sample = io.TextIOWrapper(fh, encoding=encoding, newline="", errors="replace")
    try:
        text_sample = sample.read(_CSV_SAMPLE_CHARS)
    finally:
        sample.detach()
    delimiter = _detect_delimiter(text_sample)
    table.encoding, table.delimiter = encoding, delimiter
    fh.seek(start)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="")
    # Never let the wrapper close a file object that belongs to the caller.
    table._closers.append(text.detach)
    reader = csv.reader(text, delimiter=delimiter)
    return zip(itertools.count(1), reader)


# ---- header ----------------------------------------------------------------------------


def _locate_header(
    table: Table,
    rows_iter: Iterator[tuple[int, list[Any]]],
    fields: Mapping[str, Iterable[str]],
    required: set[str],
    max_header_scan: int,
) -> None:
    lookup = _field_lookup(fields)
    head = list(itertools.islice(rows_iter, max(1, max_header_scan)))
    best_idx, best_match = -1, {}
    for idx, (_, cells) in enumerate(head):
        matched = _match_header(cells, lookup)
        if len(matched) > len(best_match):
            best_idx, best_match = idx, matched
    if best_idx < 0:
        missing = sorted(required) if required else list(fields)
        raise TableError(
            "missing_columns",
            N_("在前 %(n)s 行中找不到表头，请确认第一个工作表包含“%(columns)s”等列")
            % {"n": max_header_scan, "columns": "、".join(_field_label(fields, f) for f in missing)},
            missing=missing,
        )
    number, cells = head[best_idx]
    headers = [_cell_text(c) for c in cells]
    missing = [f for f in fields if f in required and f not in best_match]
    if missing:
        raise TableError(
            "missing_columns",
            N_("缺少必需的列：%(columns)s（表头在第 %(row)s 行）")
            % {"columns": "、".join(_field_label(fields, f) for f in missing), "row": number},
            missing=missing,
        )
    used = set(best_match.values())
    table.header_row = number
    table.columns = best_match
    table.headers = headers
    table.unmatched_headers = [h for i, h in enumerate(headers) if i not in used and h.strip(_STRIP_CHARS)]
    table._source = itertools.chain(head[best_idx + 1 :], rows_iter)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

MAX_DATA_ROWS = 1_048_575  # xlsx has 1,048,576 rows; one is the header
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_BAD_RE = re.compile(r"[\[\]:*?/\\]")
_MAX_SHEET_NAME = 31


def neutralize_cell(value: Any) -> Any:
    """Defuse spreadsheet formula injection: a string starting (after leading spaces) with
    = + - @ TAB or CR gets a leading single quote. Other values are returned unchanged."""
    if isinstance(value, str) and value:
        first = value.lstrip(" \u00a0\u3000")[:1]
        if first and first in "=+-@\t\r":
            return "'" + value
    return value


def _sheet_name(title: str, suffix: str = "") -> str:
    base = _SHEET_NAME_BAD_RE.sub("_", str(title)).strip("'").strip() or "Sheet"
    return base[: _MAX_SHEET_NAME - len(suffix)].rstrip() + suffix


def _column_width(header: str) -> float:
    return max(8, min(60, display_width(header) + 2))


def _default_tz() -> dt.tzinfo:
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils import timezone

            return timezone.get_current_timezone()
    except Exception:  # pragma: no cover - Django missing or misconfigured
        pass
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


class XlsxStreamWriter:
    """Write big xlsx exports row by row in constant memory.

    >>> with XlsxStreamWriter("/tmp/out.xlsx") as w:
    ...     w.add_sheet("居民", ["姓名", "身份证号", "出生日期"])
    ...     w.write_row(["张三", "610102199001011234", date(1990, 1, 2)])

    * ``path=None`` writes to a new temporary file; ``close()`` returns the path.
    * A sheet that reaches ``MAX_DATA_ROWS`` data rows continues on "title (2)", "title (3)"…
      with the same bold, frozen header.
    * ``str`` (and anything unknown) is written as text -- ID numbers and phones stay text --
      after ``neutralize_cell``; ``int``/``float``/``Decimal`` as numbers (except integers of
      16+ digits, which Excel would round, and NaN/inf: those are written as text);
      ``date`` as yyyy-mm-dd; ``datetime`` as yyyy-mm-dd hh:mm (aware ones converted to
      ``tz``, default: the Django current time zone, else Asia/Shanghai); ``bool`` as 是/否;
      ``None`` as a blank cell.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        tz: dt.tzinfo | None = None,
        tmpdir: str | None = None,
    ):
        if path is None:
            fd, tmp = tempfile.mkstemp(suffix=".xlsx", prefix="fangkong-export-", dir=tmpdir)
            os.close(fd)
            path = tmp
            self._owns_path = True
        else:
            self._owns_path = False
        self.path = os.fspath(path)
        options: dict[str, Any] = {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        }
        if tmpdir:
            options["tmpdir"] = tmpdir
        self._wb = xlsxwriter.Workbook(self.path, options)
        self._tz = tz
        self._bold = self._wb.add_format({"bold": True})
        self._date = self._wb.add_format({"num_format": "yyyy-mm-dd"})
        self._datetime = self._wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self._ws: Any = None
        self._title = ""
        self._headers: list[str] = []
        self._part = 0
        self._row = 0  # next 0-based row index in the current sheet
        self._sheet_rows = 0  # data rows in the current sheet
        self._names: set[str] = set()
        self.rows_written = 0
        self._closed = False

    # -- sheets --
    def add_sheet(self, title: str, headers: Iterable[Any]) -> None:
        """Start a new sheet; subsequent ``write_row`` calls go there."""
        self._check_open()
        self._title = str(title)
        self._headers = [_cell_text(h) for h in headers]
        self._part = 1
        self._new_sheet(self._unique_name(_sheet_name(self._title)))

    def _unique_name(self, name: str) -> str:
        candidate, n = name, 1
        while candidate.casefold() in self._names:
            n += 1
            candidate = _sheet_name(self._title, f" ({n})")
        return candidate

    def _new_sheet(self, name: str) -> None:
        self._names.add(name.casefold())
        ws = self._wb.add_worksheet(name)
        for col, header in enumerate(self._headers):
            ws.set_column(col, col, _column_width(header))
            ws.write_string(0, col, neutralize_cell(header), self._bold)
        ws.freeze_panes(1, 0)
        self._ws = ws
        self._row = 1
        self._sheet_rows = 0

    def _roll_over(self) -> None:
        self._part += 1
        name = _sheet_name(self._title, f" ({self._part})")
        while name.casefold() in self._names:
            self._part += 1
            name = _sheet_name(self._title, f" ({self._part})")
        self._new_sheet(name)

    # -- rows --
    def write_row(self, values: Iterable[Any]) -> None:
        """Append one data row to the current sheet (rolling over to a new sheet when full)."""
        if self._ws is None:
            self._check_open()
            raise RuntimeError("call add_sheet() before write_row()")
        if self._sheet_rows >= MAX_DATA_ROWS:
            self._roll_over()
        ws, row = self._ws, self._row
        for col, v in enumerate(values):
            t = type(v)
            if t is str:
                if v:
                    c = v[:1]
                    if c in "=+-@\t\r \u00a0\u3000":
                        v = neutralize_cell(v)
                    ws.write_string(row, col, v)
            elif v is None:
                continue
            elif t is int or t is float or t is Decimal:
                self._write_number(ws, row, col, v)
            elif t is bool:
                ws.write_string(row, col, "是" if v else "否")
            elif isinstance(v, dt.datetime):
                if v.tzinfo is not None:
                    if self._tz is None:
                        self._tz = _default_tz()
                    v = v.astimezone(self._tz).replace(tzinfo=None)
                ws.write_datetime(row, col, v, self._datetime)
            elif isinstance(v, dt.date):
                ws.write_datetime(row, col, v, self._date)
            elif isinstance(v, (int, float, Decimal)):
                self._write_number(ws, row, col, v)
            else:
                ws.write_string(row, col, neutralize_cell(str(v)))
        self._row += 1
        self._sheet_rows += 1
        self.rows_written += 1

    def write_rows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.write_row(values)

    @staticmethod
    def _write_number(ws: Any, row: int, col: int, v: Any) -> None:
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")) or (isinstance(v, int) and abs(v) >= 10**15):
            ws.write_string(row, col, str(v))  # Excel would show an error / round the digits
        else:
            ws.write_number(row, col, f)

    # -- lifecycle --
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("writer is closed")

    def close(self) -> str:
        """Finish the file and return its path (idempotent)."""
        if not self._closed:
            self._closed = True
            if not self._wb.worksheets():
                self._wb.add_worksheet()
            self._wb.close()
        return self.path

    def __enter__(self) -> XlsxStreamWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.close()
        finally:
            if exc_type is not None and self._owns_path:
                try:
                    os.unlink(self.path)
                except OSError:  # pragma: no cover
                    pass


def write_error_workbook(
    path: str | os.PathLike[str] | None,
    headers: list[str],
    rows: Iterable[tuple[int, list[Any], str]],
) -> str:
    """The rejected rows of an import: "原行号", "错误原因", then the original header and cells.

    The file re-imports through ``read_table`` with the same ``fields`` (the two extra
    columns are simply unmatched), so a user can fix the rows and upload them again.
    """
    with XlsxStreamWriter(path) as writer:
        writer.add_sheet(N_("错误数据"), [N_("原行号"), N_("错误原因"), *headers])
        for number, cells, reason in rows:
            writer.write_row([number, reason, *(_cell_text(c) for c in cells)])
    return writer.path


_DATE_HEADER_RE = re.compile(r"日期|时间|生日|出生年月")


def template_workbook(
    path: str | os.PathLike[str] | None,
    title: str,
    headers: list[str],
    example: list[str] | None = None,
    notes: list[str] | None = None,
    *,
    text_columns: Collection[str] | None = None,
) -> str:
    """A downloadable import template.

    The first sheet (named after ``title``) has the header in row 1 -- no title row, no
    example row -- so the file re-imports cleanly. Columns are formatted as text ("@") so
    Excel keeps leading zeros, 18-digit ID numbers and phones intact and does not turn
    "3-2" into a date; columns whose header mentions 日期/时间/生日 get a yyyy-mm-dd date
    format instead. ``text_columns`` (header texts) overrides the automatic choice: only
    those columns are text. The example values are attached to the header cells as comments
    and shown with the ``notes`` on a second sheet "说明".
    """
    if path is None:
        fd, tmp = tempfile.mkstemp(suffix=".xlsx", prefix="fangkong-template-")
        os.close(fd)
        path = tmp
    path = os.fspath(path)
    wb = xlsxwriter.Workbook(
        path, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    try:
        bold = wb.add_format({"bold": True})
        text = wb.add_format({"num_format": "@"})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws = wb.add_worksheet(_sheet_name(title))
        for col, header in enumerate(headers):
            if text_columns is not None:
                fmt = text if header in text_columns else None
            else:
                fmt = date_fmt if _DATE_HEADER_RE.search(header) else text
            width = _column_width(header)
            if example and col < len(example):
                width = max(width, min(60, display_width(str(example[col])) + 2))
            ws.set_column(col, col, width, fmt)
            ws.write_string(0, col, neutralize_cell(header), bold)
            if example and col < len(example) and str(example[col]):
                ws.write_comment(0, col, N_("示例：") + str(example[col]))
        ws.freeze_panes(1, 0)

        info = wb.add_worksheet(N_("说明"))
        info.set_column(0, 0, 90)
        row = 0
        info.write_string(row, 0, N_("填写说明"), bold)
        row += 1
        for i, note in enumerate(notes or [], start=1):
            info.write_string(row, 0, f"{i}. {neutralize_cell(note)}")
            row += 1
        info.write_string(
            row, 0, N_("请在第一个工作表的第 1 行表头下方逐行填写，不要修改或删除表头，不要合并单元格。")
        )
        row += 1
        if example:
            row += 1
            info.write_string(row, 0, N_("填写示例"), bold)
            row += 1
            for col, header in enumerate(headers):
                info.write_string(row, col, neutralize_cell(header), bold)
                if col < len(example) and example[col] is not None:
                    info.write_string(row + 1, col, neutralize_cell(str(example[col])))
    finally:
        wb.close()
    return path
