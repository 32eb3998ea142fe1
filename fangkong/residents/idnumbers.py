"""Identity documents: validation, normalisation and masking.

Pure Python, no ORM.  The only Django import is ``gettext_noop`` to mark the
user-facing messages (Simplified Chinese msgids) for extraction; callers
translate ``exc.message`` with ``gettext`` when they display it.

Citizen ids follow GB 11643-1999 (公民身份号码):

    RRRRRR YYYYMMDD SSS C
    region birth    seq check   (seq odd = male, even = female)

The check character is ISO 7064 MOD 11-2: with weights
``W_i = 2**(17 - i) mod 11`` over the first 17 digits,
``C = (12 - sum(a_i * W_i) mod 11) mod 11`` written as ``X`` when it is 10.

港澳台居民居住证 (residence permits for residents of Hong Kong, Macao and
Taiwan) use the same layout with the regions 810000 / 820000 / 830000 and are
therefore accepted by :func:`normalize_citizen_id`.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from operator import mul as _mul

from django.utils.translation import gettext_noop as N_

try:
    N_("")
except Exception:  # Django settings not configured (pure-Python use, tests):
    # gettext_noop is the identity function anyway.
    def N_(message: str) -> str:  # noqa: F811
        return message


__all__ = [
    "IdNumberError",
    "IdType",
    "ID_TYPE_LABELS",
    "ID_TYPE_SYNONYMS",
    "MIN_BIRTH_DATE",
    "PROVINCE_CODES",
    "RESIDENCE_PERMIT_REGIONS",
    "resolve_id_type",
    "clean_id_text",
    "citizen_id_check_char",
    "normalize_citizen_id",
    "is_valid_citizen_id",
    "citizen_id_birth_date",
    "citizen_id_sex",
    "citizen_id_region",
    "citizen_id_age",
    "is_residence_permit",
    "make_citizen_id",
    "normalize_passport",
    "is_chinese_passport",
    "normalize_hk_macao_permit",
    "normalize_taiwan_permit",
    "normalize_military_officer",
    "normalize_household_register",
    "normalize_id",
    "mask_id_number",
    "guess_id_type",
]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

#: code -> default message (msgid, Simplified Chinese)
ERROR_MESSAGES: dict[str, str] = {
    "empty": N_("证件号码为空"),
    "bad_format": N_("证件号码格式错误"),
    "bad_length": N_("身份证号长度错误，应为18位（或旧版15位）"),
    "bad_check_digit": N_("身份证号校验位错误"),
    "bad_birth_date": N_("身份证号中的出生日期不存在"),
    "future_birth_date": N_("身份证号中的出生日期晚于今天"),
    "bad_region": N_("身份证号中的地区代码无效"),
    "bad_type": N_("未知的证件类型"),
}

#: document-specific messages for code "bad_format"
_FORMAT_MESSAGES: dict[str, str] = {
    "passport": N_("护照号码格式错误"),
    "hk_macao_permit": N_("港澳居民来往内地通行证号码格式错误"),
    "taiwan_permit": N_("台湾居民来往大陆通行证号码格式错误"),
    "military_officer": N_("军官证号码格式错误"),
    "household_register": N_("户口簿号码格式错误"),
}


class IdNumberError(ValueError):
    """An identity document number is invalid.

    ``code`` is a stable English slug (for APIs, import reports and tests),
    ``message`` the user-facing Chinese msgid (translate it with gettext).
    """

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = (
            message if message is not None else ERROR_MESSAGES.get(code, ERROR_MESSAGES["bad_format"])
        )
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"IdNumberError(code={self.code!r}, message={self.message!r})"


# --------------------------------------------------------------------------
# Document types
# --------------------------------------------------------------------------


class IdType(enum.StrEnum):
    """Identity document types; the values are the codes stored in DB and API."""

    CITIZEN_ID = "citizen_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    MILITARY_OFFICER = "military_officer"
    HOUSEHOLD_REGISTER = "household_register"

    @property
    def label(self) -> str:
        return ID_TYPE_LABELS[self.value]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """``[(code, label), ...]`` for a Django ``choices=`` argument."""
        return [(m.value, ID_TYPE_LABELS[m.value]) for m in cls]

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]


ID_TYPE_LABELS: dict[str, str] = {
    IdType.CITIZEN_ID.value: N_("居民身份证"),
    IdType.PASSPORT.value: N_("护照"),
    IdType.HK_MACAO_PERMIT.value: N_("港澳居民来往内地通行证"),
    IdType.TAIWAN_PERMIT.value: N_("台湾居民来往大陆通行证"),
    IdType.MILITARY_OFFICER.value: N_("军官证"),
    IdType.HOUSEHOLD_REGISTER.value: N_("户口簿"),
}

#: Spellings found in ledgers (the 证件类型 column) -> code.  Look-ups should
#: go through :func:`resolve_id_type`, which also folds width, case and spaces.
ID_TYPE_SYNONYMS: dict[str, str] = {
    # citizen id (and the residence permits, which share its format)
    "身份证": "citizen_id",
    "居民身份证": "citizen_id",
    "二代身份证": "citizen_id",
    "二代证": "citizen_id",
    "第二代居民身份证": "citizen_id",
    "一代身份证": "citizen_id",
    "临时身份证": "citizen_id",
    "临时居民身份证": "citizen_id",
    "身份证号": "citizen_id",
    "身份证号码": "citizen_id",
    "公民身份号码": "citizen_id",
    "公民身份证": "citizen_id",
    "中国居民身份证": "citizen_id",
    "大陆身份证": "citizen_id",
    "内地身份证": "citizen_id",
    "港澳台居民居住证": "citizen_id",
    "港澳居民居住证": "citizen_id",
    "台湾居民居住证": "citizen_id",
    "居住证": "citizen_id",
    "id": "citizen_id",
    "idcard": "citizen_id",
    "id card": "citizen_id",
    "sfz": "citizen_id",
    # passport
    "护照": "passport",
    "中国护照": "passport",
    "外国护照": "passport",
    "普通护照": "passport",
    "因私护照": "passport",
    "因公护照": "passport",
    "外籍护照": "passport",
    "passport": "passport",
    # Hong Kong / Macao
    "回乡证": "hk_macao_permit",
    "港澳回乡证": "hk_macao_permit",
    "港澳通行证": "hk_macao_permit",
    "港澳居民来往内地通行证": "hk_macao_permit",
    "港澳居民往来内地通行证": "hk_macao_permit",
    "港澳居民通行证": "hk_macao_permit",
    "香港居民来往内地通行证": "hk_macao_permit",
    "澳门居民来往内地通行证": "hk_macao_permit",
    # Taiwan
    "台胞证": "taiwan_permit",
    "台湾同胞证": "taiwan_permit",
    "台湾通行证": "taiwan_permit",
    "台湾居民通行证": "taiwan_permit",
    "台湾居民来往大陆通行证": "taiwan_permit",
    "台湾居民往来大陆通行证": "taiwan_permit",
    # military
    "军官证": "military_officer",
    "军人证": "military_officer",
    "士兵证": "military_officer",
    "文职干部证": "military_officer",
    "武警警官证": "military_officer",
    "军人身份证件": "military_officer",
    # household register
    "户口簿": "household_register",
    "户口本": "household_register",
    "户口": "household_register",
    "户籍簿": "household_register",
}


def _type_key(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split()).lower()


_TYPE_LOOKUP: dict[str, str] = {}
for _code in ID_TYPE_LABELS:
    _TYPE_LOOKUP[_type_key(_code)] = _code
for _code, _label in ID_TYPE_LABELS.items():
    _TYPE_LOOKUP.setdefault(_type_key(_label), _code)
for _syn, _code in ID_TYPE_SYNONYMS.items():
    _TYPE_LOOKUP.setdefault(_type_key(_syn), _code)
_TYPE_LOOKUP[_type_key("id card")] = "citizen_id"


def resolve_id_type(value: object) -> str | None:
    """Map a code, an :class:`IdType`, a label or a ledger synonym to the code.

    Returns ``None`` for an unknown or empty value.
    """
    if isinstance(value, IdType):
        return value.value
    if not isinstance(value, str) or not value.strip():
        return None
    return _TYPE_LOOKUP.get(value) or _TYPE_LOOKUP.get(_type_key(value))


# --------------------------------------------------------------------------
# Text cleanup
# --------------------------------------------------------------------------

# Separators that may appear anywhere in a number typed into a ledger.
_SEPARATORS = (
    " \t\n\r\v\f"
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
)
_QUOTES = "'\"`\u2018\u2019\u201c\u201d\u00b4"

_CLEAN_TABLE: dict[int, int | None] = {}
# full-width ASCII (U+FF01..U+FF5E) -> ASCII
for _cp in range(0xFF01, 0xFF5F):
    _CLEAN_TABLE[_cp] = _cp - 0xFEE0
for _ch in _SEPARATORS:
    _CLEAN_TABLE[ord(_ch)] = None


def clean_id_text(raw: str) -> str:
    """Fold full-width characters to ASCII, drop spaces/NBSP/hyphens anywhere,
    drop surrounding quotes (the Excel text prefix ``'``) and uppercase."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raw = str(raw)
    return raw.translate(_CLEAN_TABLE).strip(_QUOTES).upper()


# --------------------------------------------------------------------------
# Citizen id (GB 11643-1999)
# --------------------------------------------------------------------------

# W_i = 2**(i-1) mod 11, i counted from the right (the check character is i = 1):
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - k, 11) for k in range(17))
# sum(a_i * W_i) mod 11 -> check character
_CHECK_CHARS = "10X98765432"
_DIGIT_OFFSET = 48 * sum(_WEIGHTS)

#: First two digits of a real province-level division (GB/T 2260), plus
#: 71 台湾, 81 香港, 82 澳门 and 83 (台湾居民居住证).
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82", "83"]
)

#: The only region codes used by 港澳台居民居住证.
RESIDENCE_PERMIT_REGIONS: frozenset[str] = frozenset({"810000", "820000", "830000"})

MIN_BIRTH_DATE = date(1890, 1, 1)

# China Standard Time (UTC+8, no daylight saving since 1991): "today" for the
# future-birth-date check is the date in China, whatever the server's zone.
_CST = timezone(timedelta(hours=8), "CST")


def _today() -> date:
    return datetime.now(_CST).date()


_DIGITS = frozenset("0123456789")
_ID_CHARS = frozenset("0123456789X")


def _is_ascii_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def citizen_id_check_char(first17: str) -> str:
    """The MOD 11-2 check character (``0``-``9`` or ``X``) for 17 digits."""
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise IdNumberError("bad_format")
    # bytes of ASCII digits: sum((b - 48) * w) = sum(b * w) - 48 * sum(w), in C (map/operator.mul)
    total = sum(map(_mul, first17.encode("ascii"), _WEIGHTS)) - _DIGIT_OFFSET
    return _CHECK_CHARS[total % 11]


def _region_ok(region6: str) -> bool:
    prov = region6[:2]
    if prov not in PROVINCE_CODES:
        return False
    if prov in ("81", "82", "83"):
        return region6 in RESIDENCE_PERMIT_REGIONS
    return True


def _check_region(region6: str) -> None:
    if not _region_ok(region6):
        raise IdNumberError("bad_region")


def _check_birth(s8: str, today: date | None) -> date:
    try:
        birth = date(int(s8[0:4]), int(s8[4:6]), int(s8[6:8]))
    except ValueError:
        raise IdNumberError("bad_birth_date") from None
    if birth < MIN_BIRTH_DATE:
        raise IdNumberError("bad_birth_date")
    if birth > (today if today is not None else _today()):
        raise IdNumberError("future_birth_date")
    return birth


def normalize_citizen_id(raw: str, *, today: date | None = None) -> str:
    """Validate a citizen id (or HK/Macao/Taiwan residence permit) and return
    its canonical 18-character uppercase form.

    Accepts full-width digits and letters, a lowercase ``x``, and spaces, tabs,
    NBSP or hyphens anywhere.  A legacy 15-digit number is upgraded to 18
    characters (century 19, check character computed).

    A birth date after ``today`` (default: the current date in China, UTC+8)
    or before 1890-01-01 is rejected, and so is a region whose first two
    digits are not a province-level code (81/82/83 only as 810000, 820000,
    830000: the residence permits).

    Raises :class:`IdNumberError` with code ``empty``, ``bad_format``,
    ``bad_length``, ``bad_region``, ``bad_birth_date``, ``future_birth_date``
    or ``bad_check_digit``.
    """
    if isinstance(raw, str) and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in "0123456789X":
        s = raw  # already canonical (what a scanner sends): nothing to clean
    else:
        s = clean_id_text(raw)
    if not s:
        raise IdNumberError("empty")
    if not _ID_CHARS.issuperset(s):
        raise IdNumberError("bad_format")
    n = len(s)
    if n == 18:
        if not s[:17].isdigit():  # an X before the last position
            raise IdNumberError("bad_format")
        _check_region(s[:6])
        _check_birth(s[6:14], today)
        if citizen_id_check_char(s[:17]) != s[17]:
            raise IdNumberError("bad_check_digit")
        return s
    if n == 15:
        if not s.isdigit():
            raise IdNumberError("bad_format")
        _check_region(s[:6])
        _check_birth("19" + s[6:12], today)
        first17 = s[:6] + "19" + s[6:]
        return first17 + citizen_id_check_char(first17)
    raise IdNumberError("bad_length")


def is_valid_citizen_id(raw: str, *, today: date | None = None) -> bool:
    try:
        normalize_citizen_id(raw, today=today)
    except IdNumberError:
        return False
    return True


def _canonical(cid: str) -> str:
    """Validated canonical form for the accessors (no future-date check: a
    stored value is read, not entered)."""
    if isinstance(cid, str) and len(cid) == 18 and cid.isascii() and cid[:17].isdigit():
        # fast path for values that are already canonical (as stored)
        _check_region(cid[:6])
        _check_birth(cid[6:14], date.max)
        if citizen_id_check_char(cid[:17]) != cid[17]:
            raise IdNumberError("bad_check_digit")
        return cid
    return normalize_citizen_id(cid, today=date.max)


def citizen_id_birth_date(cid: str) -> date:
    """Birth date encoded in a citizen id (15 or 18 characters, validated)."""
    s = _canonical(cid)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def citizen_id_sex(cid: str) -> str:
    """``"M"`` or ``"F"`` from the 17th digit (odd = male)."""
    s = _canonical(cid)
    return "M" if (ord(s[16]) - 48) % 2 else "F"


def citizen_id_region(cid: str) -> str:
    """The 6-digit region code (the first 6 digits)."""
    return _canonical(cid)[:6]


def citizen_id_age(cid: str, *, on: date | None = None) -> int:
    """Age in whole years on ``on`` (default today)."""
    birth = citizen_id_birth_date(cid)
    on = on or _today()
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def is_residence_permit(cid: str) -> bool:
    """True for a 港澳台居民居住证 number (region 810000/820000/830000)."""
    return _canonical(cid)[:6] in RESIDENCE_PERMIT_REGIONS


# ---- fast builder for the synthetic city -----------------------------------

_REGION_PARTIAL: dict[str, int] = {}
_DATE_PARTIAL: dict[date, tuple[str, int]] = {}
_SEQ_PARTIAL: tuple[tuple[str, int], ...] = tuple(
    (f"{i:03d}", sum((ord(c) - 48) * w for c, w in zip(f"{i:03d}", _WEIGHTS[14:17], strict=True)))
    for i in range(1000)
)


def _region_partial(region6: str) -> int:
    if not isinstance(region6, str) or len(region6) != 6 or not _is_ascii_digits(region6):
        raise IdNumberError("bad_format")
    _check_region(region6)
    p = sum((ord(c) - 48) * w for c, w in zip(region6, _WEIGHTS[0:6], strict=True))
    if len(_REGION_PARTIAL) < 100_000:
        _REGION_PARTIAL[region6] = p
    return p


def _date_partial(birth: date) -> tuple[str, int]:
    if not isinstance(birth, date):
        raise IdNumberError("bad_birth_date")
    birth = date(birth.year, birth.month, birth.day)  # datetime -> date key
    if birth < MIN_BIRTH_DATE:
        raise IdNumberError("bad_birth_date")
    s8 = f"{birth.year:04d}{birth.month:02d}{birth.day:02d}"
    entry = (s8, sum((ord(c) - 48) * w for c, w in zip(s8, _WEIGHTS[6:14], strict=True)))
    if len(_DATE_PARTIAL) < 200_000:
        _DATE_PARTIAL[birth] = entry
    return entry


def make_citizen_id(region6: str, birth: date, seq3: int) -> str:
    """Build a valid 18-character citizen id.

    ``seq3`` (0-999) is the sequence code; its parity gives the sex
    (odd = male).  Future birth dates are not rejected here (the caller owns
    the reference date).  Partial weighted sums are cached per region and per
    date, so a call is a few dict look-ups and one string concatenation.
    """
    rp = _REGION_PARTIAL.get(region6)
    if rp is None:
        rp = _region_partial(region6)
    dp = _DATE_PARTIAL.get(birth) if type(birth) is date else None
    if dp is None:
        dp = _date_partial(birth)
    if type(seq3) is not int:
        if isinstance(seq3, bool) or not hasattr(seq3, "__index__"):
            raise IdNumberError("bad_format")
        seq3 = seq3.__index__()
    if not 0 <= seq3 <= 999:
        raise IdNumberError("bad_format")
    ss, sp = _SEQ_PARTIAL[seq3]
    return region6 + dp[0] + ss + _CHECK_CHARS[(rp + dp[1] + sp) % 11]


# --------------------------------------------------------------------------
# Other documents
# --------------------------------------------------------------------------

_CN_PASSPORT_RE = re.compile(r"(?:[EGDSP][0-9]{8}|E[A-Z][0-9]{7})\Z")
_ALNUM_RE = re.compile(r"[A-Z0-9]+\Z")


def is_chinese_passport(value: str) -> bool:
    """True for the PRC passport patterns (E/G/D/S/P + 8 digits, E + letter + 7 digits)."""
    return bool(_CN_PASSPORT_RE.match(clean_id_text(value)))


def normalize_passport(raw: str) -> str:
    """Uppercase, remove spaces/hyphens, fold full-width characters.

    Accepts PRC passports (E/G/D/S/P + 8 digits, E + letter + 7 digits) and
    foreign passports (5-20 ASCII letters/digits containing at least one
    digit; a word such as ``UNKNOWN`` is not a passport number).
    """
    if isinstance(raw, str) and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in "0123456789X":
        s = raw  # already canonical (what a scanner sends): nothing to clean
    else:
        s = clean_id_text(raw)
    if not s:
        raise IdNumberError("empty")
    if _CN_PASSPORT_RE.match(s):
        return s
    if 5 <= len(s) <= 20 and _ALNUM_RE.match(s) and not _DIGITS.isdisjoint(s):
        return s
    raise IdNumberError("bad_format", _FORMAT_MESSAGES["passport"])


_HK_MACAO_RE = re.compile(r"[HM](?:[0-9]{8}|[0-9]{10})\Z")


def normalize_hk_macao_permit(raw: str) -> str:
    """港澳居民来往内地通行证 (回乡证): H or M + 8 digits (older cards: + 10 digits)."""
    if isinstance(raw, str) and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in "0123456789X":
        s = raw  # already canonical (what a scanner sends): nothing to clean
    else:
        s = clean_id_text(raw)
    if not s:
        raise IdNumberError("empty")
    if _HK_MACAO_RE.match(s):
        return s
    raise IdNumberError("bad_format", _FORMAT_MESSAGES["hk_macao_permit"])


_TAIWAN_RE = re.compile(r"([0-9]{8})\Z|([0-9]{10})(?:\(([A-Z])\)|\[([A-Z])\]|([A-Z]))?\Z")


def normalize_taiwan_permit(raw: str) -> str:
    """台湾居民来往大陆通行证 (台胞证): 8 digits (current cards) or 10 digits,
    optionally followed by a letter, bracketed or not (older cards).

    Returns the number uppercase without brackets: ``1234567890(b)`` ->
    ``1234567890B``.
    """
    if isinstance(raw, str) and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in "0123456789X":
        s = raw  # already canonical (what a scanner sends): nothing to clean
    else:
        s = clean_id_text(raw)
    if not s:
        raise IdNumberError("empty")
    m = _TAIWAN_RE.match(s)
    if not m:
        raise IdNumberError("bad_format", _FORMAT_MESSAGES["taiwan_permit"])
    if m.group(1):
        return m.group(1)
    return m.group(2) + (m.group(3) or m.group(4) or m.group(5) or "")


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3134F
        or o == 0x3007  # 〇
    )


_FREEFORM_PUNCT = frozenset("()[]")
_FREEFORM_PLACEHOLDERS = frozenset(
    {"NULL", "NONE", "NAN", "N/A", "NA", "无", "暂无", "不详", "未知", "空", "缺", "没有"}
)


def _normalize_freeform(raw: str, doc: str) -> str:
    """Loose validation for documents without a public number format."""
    if raw is None:
        raise IdNumberError("empty")
    if not isinstance(raw, str):
        raw = str(raw)
    # keep hyphens here (some military numbers carry them); only drop spaces
    s = unicodedata.normalize("NFKC", raw)
    s = "".join(s.split()).strip(_QUOTES).upper()
    s = s.replace("〔", "(").replace("〕", ")").replace("【", "[").replace("】", "]")
    if not s:
        raise IdNumberError("empty")
    if s in _FREEFORM_PLACEHOLDERS:
        raise IdNumberError("bad_format", _FORMAT_MESSAGES[doc])
    if not 4 <= len(s) <= 30:
        raise IdNumberError("bad_format", _FORMAT_MESSAGES[doc])
    for ch in s:
        if (
            not (ch.isascii() and ch.isalnum())
            and not _is_cjk(ch)
            and ch not in _FREEFORM_PUNCT
            and ch != "-"
        ):
            raise IdNumberError("bad_format", _FORMAT_MESSAGES[doc])
    if _DIGITS.isdisjoint(s):  # a document number without any digit is not one
        raise IdNumberError("bad_format", _FORMAT_MESSAGES[doc])
    return s


def normalize_military_officer(raw: str) -> str:
    """军官证: 4-30 letters, digits or CJK characters (e.g. ``政字第012345号``);
    spaces removed, full-width folded, Latin uppercase; must contain a digit."""
    return _normalize_freeform(raw, "military_officer")


def normalize_household_register(raw: str) -> str:
    """户口簿 number: same loose rules as :func:`normalize_military_officer`."""
    return _normalize_freeform(raw, "household_register")


# --------------------------------------------------------------------------
# Dispatch, masking, guessing
# --------------------------------------------------------------------------


def normalize_id(id_type: str, raw: str, *, today: date | None = None) -> str:
    """Normalise ``raw`` as a document of ``id_type`` (a code, an
    :class:`IdType`, a label or a ledger synonym).  Unknown type ->
    ``IdNumberError("bad_type")``."""
    code = resolve_id_type(id_type)
    if code == "citizen_id":
        return normalize_citizen_id(raw, today=today)
    if code == "passport":
        return normalize_passport(raw)
    if code == "hk_macao_permit":
        return normalize_hk_macao_permit(raw)
    if code == "taiwan_permit":
        return normalize_taiwan_permit(raw)
    if code == "military_officer":
        return normalize_military_officer(raw)
    if code == "household_register":
        return normalize_household_register(raw)
    raise IdNumberError("bad_type")


def mask_id_number(value: str) -> str:
    """Mask a document number for display.

    18 characters: first 4 and last 4 kept (``6110**********0015``); other
    lengths >= 5: first 2 and last 2 kept with at least one star; very short
    values (3-4) keep only the first and last character; 1-2 are all stars.
    """
    if not value:
        return ""
    v = "".join(str(value).split())
    n = len(v)
    if n == 0:
        return ""
    if n == 18:
        return v[:4] + "*" * 10 + v[-4:]
    if n >= 5:
        return v[:2] + "*" * (n - 4) + v[-2:]
    if n >= 3:
        return v[0] + "*" * (n - 2) + v[-1]
    return "*" * n


def guess_id_type(raw: str, *, today: date | None = None) -> str | None:
    """Guess the document type of a bare number (importers without a type
    column).  Returns a code or ``None``.

    Order: citizen id / residence permit; strings that look like a citizen id
    (15/18 characters of digits, optional final X) but fail validation give
    ``None`` rather than a wrong guess; HK/Macao permit; Taiwan permit (8 or
    10 digits); PRC passport; ``字第`` style -> military officer; any other
    plausible passport number -> passport.  Household register numbers are
    never guessed.
    """
    s = clean_id_text(raw)
    if not s:
        return None
    n = len(s)
    if (n == 18 and s[:17].isdigit() and s.isascii() and (s[17].isdigit() or s[17] == "X")) or (
        n == 15 and _is_ascii_digits(s)
    ):
        try:
            normalize_citizen_id(s, today=today)
        except IdNumberError:
            return None
        return "citizen_id"
    if _HK_MACAO_RE.match(s):
        return "hk_macao_permit"
    if _TAIWAN_RE.match(s):
        return "taiwan_permit"
    if _CN_PASSPORT_RE.match(s):
        return "passport"
    if "字" in s:
        try:
            normalize_military_officer(raw)
        except IdNumberError:
            return None
        return "military_officer"
    try:
        normalize_passport(s)
    except IdNumberError:
        return None
    return "passport"
