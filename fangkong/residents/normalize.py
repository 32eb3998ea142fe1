"""Small pure helpers for ledger data: phone numbers, person names, pinyin.

No ORM.  The only Django import is ``gettext_noop`` to mark the user-facing
messages (Simplified Chinese msgids) for extraction.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from django.utils.translation import gettext_noop as N_

try:
    N_("")
except Exception:  # Django settings not configured (pure-Python use, tests):
    # gettext_noop is the identity function anyway.
    def N_(message: str) -> str:  # noqa: F811
        return message


__all__ = [
    "PhoneError",
    "normalize_phone",
    "is_mobile",
    "mask_phone",
    "normalize_name",
    "pinyin_initials",
    "pinyin_full",
]


# --------------------------------------------------------------------------
# Shared text folding
# --------------------------------------------------------------------------

_FULLWIDTH: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
_ZERO_WIDTH = {ord(c): None for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad"}


def _fold(raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raw = str(raw)
    return raw.translate(_FULLWIDTH).translate(_ZERO_WIDTH)


# --------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------

PHONE_ERROR_MESSAGES: dict[str, str] = {
    "bad_format": N_("电话号码格式错误"),
    "bad_length": N_("电话号码位数错误"),
    "bad_mobile": N_("手机号码应为以13-19开头的11位数字"),
    "missing_area_code": N_("固定电话缺少区号"),
    "foreign_number": N_("不支持境外电话号码"),
}


class PhoneError(ValueError):
    """A phone number is invalid: ``code`` (English slug) and ``message``
    (Chinese msgid, translate with gettext)."""

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = (
            message
            if message is not None
            else PHONE_ERROR_MESSAGES.get(code, PHONE_ERROR_MESSAGES["bad_format"])
        )
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"PhoneError(code={self.code!r}, message={self.message!r})"


_PHONE_SEPARATORS = {
    ord(c): None
    for c in " \t\n\r\v\f\u00a0\u2002\u2003\u2009\u202f-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63.()[]"
}
_QUOTES = "'\"`\u2018\u2019\u201c\u201d"
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}\Z")


def is_mobile(value: str) -> bool:
    """True for a canonical mainland mobile number (11 digits, 1[3-9]...)."""
    return bool(value) and bool(_MOBILE_RE.match(value))


def normalize_phone(raw: str, *, default_area_code: str | None = None) -> str:
    """Canonical form of a mainland phone number.

    Mobiles -> 11 digits (``13812345678``), from ``+86 138 1234 5678``,
    ``86-13812345678``, ``138-1234-5678``, full-width digits...
    Landlines -> ``0914-2345678`` (area code, hyphen, 7-8 digit local
    number); ``+86 914 2345678`` is accepted.  A bare 7-8 digit local number
    is accepted only when ``default_area_code`` (e.g. ``"0914"``) is given.

    Empty input -> ``""``.  Garbage -> :class:`PhoneError` with code
    ``bad_format``, ``bad_length``, ``bad_mobile``, ``missing_area_code`` or
    ``foreign_number``.
    """
    s = _fold(raw).strip().strip(_QUOTES).strip()
    if not s:
        return ""
    s = s.translate(_PHONE_SEPARATORS)
    international = False
    if s.startswith("+"):
        if not s.startswith("+86"):
            raise PhoneError("foreign_number")
        s = s[3:]
        international = True
    elif s.startswith("0086"):
        s = s[4:]
        international = True
    if not s.isascii() or not s.isdigit():
        raise PhoneError("bad_format")
    if not international and len(s) == 13 and s.startswith("86") and s[2] == "1":
        s = s[2:]
        international = True
    if international and s.startswith("0"):
        s = s[1:] if s[1:2] == "1" else s  # "+86 0138..." typed with a trunk 0
    if s.startswith("1") and not (international and s.startswith("10")):  # +86 10 = 北京 010
        if len(s) != 11:
            raise PhoneError("bad_length")
        if not _MOBILE_RE.match(s):
            raise PhoneError("bad_mobile")
        return s
    if international and not s.startswith("0"):
        s = "0" + s
    if s.startswith("0"):
        area_len = 3 if s[1:2] in ("1", "2") else 4
        area, local = s[:area_len], s[area_len:]
        if len(area) < area_len or area[1:2] == "0":
            raise PhoneError("bad_format")
        if not 7 <= len(local) <= 8:
            raise PhoneError("bad_length")
        if local[0] in "01":
            raise PhoneError("bad_format")
        return f"{area}-{local}"
    if 7 <= len(s) <= 8:
        if default_area_code:
            return normalize_phone(f"{default_area_code}-{s}")
        raise PhoneError("missing_area_code")
    raise PhoneError("bad_length")


def mask_phone(value: str) -> str:
    """Mask a phone number for display.

    Mobiles ``138****5678``; landlines keep the area code and the last 2
    digits (``0914-*****78``); anything unparsable keeps its first 2 and last
    2 characters.  Empty -> ``""``.
    """
    if not value:
        return ""
    try:
        s = normalize_phone(value)
    except PhoneError:
        s = "".join(_fold(value).split())
        if not s:
            return ""
        if len(s) <= 4:
            return "*" * len(s)
        return s[:2] + "*" * (len(s) - 4) + s[-2:]
    if not s:
        return ""
    if "-" not in s:
        return s[:3] + "****" + s[-4:]
    area, local = s.split("-", 1)
    return f"{area}-{'*' * (len(local) - 2)}{local[-2:]}"


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

_CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3007"
_CJK_CLASS = f"[{_CJK_RANGES}]"

# Dots that, in a name, can only be a separator between name parts.
_STRONG_DOTS = "\u00b7\u2022\u2027\u30fb\uff65\ufe52\u22c5\u2219\u0387\u2e31\u318d\u16eb\u2024\u00b8"
# Dots that are separators only next to a CJK character ("John F. Kennedy"
# keeps its full stop).  The full-width "．" is folded to "." first.
_WEAK_DOTS = ".\u3002\uff61"

_STRONG_DOT_TABLE = {ord(c): "\u00b7" for c in _STRONG_DOTS}
_WEAK_AFTER_CJK_RE = re.compile(rf"({_CJK_CLASS})\s*[{re.escape(_WEAK_DOTS)}]+\s*(?=\S)")
_WEAK_BEFORE_CJK_RE = re.compile(rf"(?<=\S)\s*[{re.escape(_WEAK_DOTS)}]+\s*(?={_CJK_CLASS})")
_DOT_RUN_RE = re.compile(r"\s*\u00b7[\s\u00b7]*")
_CJK_SPACE_RE = re.compile(rf"(?<={_CJK_CLASS}) (?={_CJK_CLASS})")
_CJK_RE = re.compile(_CJK_CLASS)


def normalize_name(raw: str) -> str:
    """Canonical form of a person's name.

    * strip, collapse internal whitespace to one space (Latin names);
    * remove spaces between CJK characters (``张 三`` -> ``张三``);
    * unify the middle dots of minority and foreign names (``·``, ``•``,
      ``‧``, ``・``, ``．``, ``﹒``, and ``.``/``。`` next to a CJK
      character) to ``·`` without surrounding spaces
      (``买买提 . 艾力`` -> ``买买提·艾力``);
    * full-width Latin letters are folded to ASCII, compatibility
      ideographs to their unified form (NFC).
    """
    s = _fold(raw)
    if not s.strip():
        return ""
    s = unicodedata.normalize("NFC", s)
    s = s.translate(_STRONG_DOT_TABLE)
    if _CJK_RE.search(s):
        s = _WEAK_AFTER_CJK_RE.sub("\\1\u00b7", s)
        s = _WEAK_BEFORE_CJK_RE.sub("\u00b7", s)
    if "\u00b7" in s:
        s = _DOT_RUN_RE.sub("\u00b7", s)
        s = s.strip().strip("\u00b7")
    s = " ".join(s.split())
    if " " in s:
        s = _CJK_SPACE_RE.sub("", s)
    return s


# --------------------------------------------------------------------------
# Pinyin
# --------------------------------------------------------------------------

# Surnames whose reading differs from the character's most common one.
_COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = {
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "长孙": ("zhang", "sun"),
    "单于": ("chan", "yu"),
    "澹台": ("tan", "tai"),
    "令狐": ("ling", "hu"),
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"),
    "上官": ("shang", "guan"),
    "皇甫": ("huang", "fu"),
    "鲜于": ("xian", "yu"),
    "宇文": ("yu", "wen"),
    "慕容": ("mu", "rong"),
    "夏侯": ("xia", "hou"),
    "东方": ("dong", "fang"),
    "公孙": ("gong", "sun"),
    "司徒": ("si", "tu"),
    "司空": ("si", "kong"),
    "呼延": ("hu", "yan"),
    "端木": ("duan", "mu"),
    "轩辕": ("xuan", "yuan"),
    "南宫": ("nan", "gong"),
    "独孤": ("du", "gu"),
    "乐正": ("yue", "zheng"),
    "尉缭": ("wei", "liao"),
}
_SINGLE_SURNAMES: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "乐": "yue",
    "翟": "zhai",
    "覃": "qin",
    "盖": "ge",
    "秘": "bi",
    "缪": "miao",
    "召": "shao",
    "种": "chong",
    "员": "yun",
    "句": "gou",
    "折": "she",
    "繁": "po",
    "黑": "he",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "过": "guo",
    "柏": "bai",
    "重": "chong",
    "都": "du",
    "冼": "xian",
    "隗": "wei",
    "眭": "sui",
    "莘": "shen",
    "沈": "shen",
    "葛": "ge",
    "尉": "wei",
    "阚": "kan",
    "逄": "pang",
    "贲": "ben",
    "宁": "ning",
    "薄": "bo",
    "卜": "bu",
    "牟": "mou",
    "蔺": "lin",
    "臧": "zang",
    "长": "chang",
    "尹": "yin",
    "藏": "zang",
    "瞿": "qu",
    "谌": "chen",
    "应": "ying",
    "曲": "qu",
    "燕": "yan",
    "那": "na",
    "大": "da",
    "行": "xing",
}


@functools.lru_cache(maxsize=1)
def _pypinyin():
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin, Style


_LATIN_KEEP_RE = re.compile(r"[^a-z]+")


def _syllables(name: str, initials: bool) -> list[str]:
    s = normalize_name(name)
    if not s:
        return []
    head: list[str] = []
    if len(s) >= 3 and s[:2] in _COMPOUND_SURNAMES and _CJK_RE.match(s[2]):
        head = list(_COMPOUND_SURNAMES[s[:2]])
        s = s[2:]
    elif len(s) >= 2 and s[0] in _SINGLE_SURNAMES and _CJK_RE.match(s[1]):
        head = [_SINGLE_SURNAMES[s[0]]]
        s = s[1:]
    if initials:
        head = [h[0] for h in head]
    # CJK -> one syllable; non-CJK chunks come back as they were (their Latin letters are kept, lowercased).
    # Given names repeat far more than full names: the pypinyin call is cached on them (same result).
    return head + list(_given_syllables(s, initials))


@functools.lru_cache(maxsize=131072)
def _given_syllables(s: str, initials: bool) -> tuple[str, ...]:
    lazy_pinyin, Style = _pypinyin()
    style = Style.FIRST_LETTER if initials else Style.NORMAL
    if 0 < len(s) <= 4 and all(_CJK_RE.match(c) for c in s) and not _has_phrase(s):
        # no pypinyin phrase inside: it reads the characters one by one, so do exactly that, cached per character
        return tuple(x for c in s for x in _char_syllable(c, initials))
    return tuple(lazy_pinyin(s, style=style, errors="default"))


@functools.cache
def _char_syllable(c: str, initials: bool) -> tuple[str, ...]:
    lazy_pinyin, Style = _pypinyin()
    return tuple(lazy_pinyin(c, style=Style.FIRST_LETTER if initials else Style.NORMAL, errors="default"))


def _has_phrase(s: str) -> bool:
    from pypinyin.constants import PHRASES_DICT

    return any(s[i:j] in PHRASES_DICT for i in range(len(s)) for j in range(i + 2, len(s) + 1))


def _join(parts: list[str]) -> str:
    return _LATIN_KEEP_RE.sub("", "".join(parts).lower())


class InitialsMaker:
    """``pinyin_initials(surname + given)`` for a one-character CJK surname and a 1–2 character CJK given name,
    without a cache per full name (the synthetic city has millions of distinct names): the same decisions as
    `_syllables` (a known surname read on its own; else the whole name read character by character unless a
    pypinyin phrase lies inside it), from per-character and per-given-name caches."""

    def __init__(self):
        from pypinyin.constants import PHRASES_DICT

        self.phrases = PHRASES_DICT
        self.given: dict[str, tuple[bool, str, str]] = {}
        self.surnames: dict[str, tuple[bool, str]] = {}
        self.spans: dict[str, bool] = {}

    def char(self, c: str) -> str:
        return _join(list(_char_syllable(c, True)))

    def __call__(self, surname: str, given: str) -> str:
        g = self.given.get(given)
        if g is None:
            g = self.given[given] = (_has_phrase(given) or len(given) > 2, "".join(self.char(c) for c in given),
                                     _join(list(_given_syllables(given, True))))
        s = self.surnames.get(surname)
        if s is None:
            known = surname in _SINGLE_SURNAMES
            s = self.surnames[surname] = (known, _SINGLE_SURNAMES[surname][0] if known else self.char(surname))
        if s[0]:
            return s[1] + g[2]  # a known surname is read on its own, then the given name
        if g[0]:
            return pinyin_initials(surname + given)
        pair = surname + given[:1]
        span = self.spans.get(pair)
        if span is None:  # a compound surname or a phrase starting at the surname: read as pypinyin would
            span = self.spans[pair] = pair in _COMPOUND_SURNAMES or pair in self.phrases
        if span or (len(given) == 2 and surname + given in self.phrases):
            return pinyin_initials(surname + given)
        return s[1] + g[1]  # character by character


@functools.lru_cache(maxsize=65536)
def pinyin_initials(name: str) -> str:
    """Lowercase pinyin initials: ``张三`` -> ``zs``, ``买买提·艾力`` ->
    ``mmtal``.  Latin letters in the name are kept (lowercased), everything
    else (dots, digits, punctuation) dropped.  Common surname readings
    (曾 zeng, 单 shan, 欧阳 ouyang…) are applied to the first characters."""
    if not name:
        return ""
    return _join(_syllables(name, True))


@functools.lru_cache(maxsize=65536)
def pinyin_full(name: str) -> str:
    """Lowercase toneless pinyin without separators: ``张三`` -> ``zhangsan``
    (ü written ``v``: 吕 -> ``lv``)."""
    if not name:
        return ""
    return _join(_syllables(name, False))
