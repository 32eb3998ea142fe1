"""Tests for fangkong.residents.normalize (pure Python, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.residents.normalize import (
    PhoneError,
    is_mobile,
    mask_phone,
    normalize_name,
    normalize_phone,
    pinyin_full,
    pinyin_initials,
)

FAST = settings(max_examples=200, deadline=None, database=None)
SMALL = settings(max_examples=100, deadline=None, database=None)  # secondary properties
_FULLWIDTH_DIGITS = {ord(c): ord(c) + 0xFEE0 for c in "0123456789+-()"}

# ------------------------------------------------------------ phones


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("86-13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("(+86) 138-1234-5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("＋８６ １３８ １２３４ ５６７８", "13812345678"),
        ("'13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("0914-2345678", "0914-2345678"),
        ("09142345678", "0914-2345678"),
        ("0914 2345678", "0914-2345678"),
        ("(0914)2345678", "0914-2345678"),
        ("０９１４－２３４５６７８", "0914-2345678"),
        ("+86 914 2345678", "0914-2345678"),
        ("+86-914-2345678", "0914-2345678"),
        ("029-88886666", "029-88886666"),
        ("02988886666", "029-88886666"),
        ("010-62345678", "010-62345678"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_normalize_phone_variants(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw, code",
    [
        ("abc", "bad_format"),
        ("138l2345678", "bad_format"),
        ("13812345678/13987654321", "bad_format"),
        ("12345", "bad_length"),
        ("1381234567", "bad_length"),
        ("138123456789", "bad_length"),
        ("12812345678", "bad_mobile"),
        ("10012345678", "bad_mobile"),
        ("2345678", "missing_area_code"),
        ("+1 415 555 1234", "foreign_number"),
        ("+852 9123 4567", "foreign_number"),
        ("0914-0345678", "bad_format"),
        ("0914-234567", "bad_length"),
        ("0914-234567890", "bad_length"),
        ("0012345678", "bad_format"),
    ],
)
def test_normalize_phone_errors(raw, code):
    with pytest.raises(PhoneError) as info:
        normalize_phone(raw)
    assert info.value.code == code
    assert info.value.message
    assert isinstance(info.value, ValueError)


def test_default_area_code():
    assert normalize_phone("2345678", default_area_code="0914") == "0914-2345678"
    assert normalize_phone("13812345678", default_area_code="0914") == "13812345678"


mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


@SMALL
@given(
    mobiles,
    st.sampled_from(["", "+86", "+86 ", "86-", "0086 ", "(+86)"]),
    st.lists(st.sampled_from([" ", "-", "\u00a0", "\u3000"]), max_size=4),
    st.lists(st.integers(min_value=1, max_value=10), max_size=4),
    st.booleans(),
)
def test_mobile_variants_property(mobile, prefix, seps, positions, fullwidth):
    raw = mobile
    for sep, pos in zip(seps, positions, strict=False):
        raw = raw[:pos] + sep + raw[pos:]
    raw = prefix + raw
    if fullwidth:
        raw = raw.translate(_FULLWIDTH_DIGITS)
    assert normalize_phone(raw) == mobile
    assert is_mobile(mobile)
    assert mask_phone(raw) == mobile[:3] + "****" + mobile[-4:]


@SMALL
@given(
    st.sampled_from(["010", "021", "029", "0914", "0913", "0371"]),
    st.sampled_from("23456789"),
    st.text(alphabet="0123456789", min_size=6, max_size=7),
)
def test_landline_property(area, first, rest):
    local = first + rest
    expected = f"{area}-{local}"
    assert normalize_phone(expected) == expected
    assert normalize_phone(area + local) == expected
    assert normalize_phone("+86 " + area[1:] + " " + local) == expected
    assert normalize_phone(normalize_phone(expected)) == expected  # idempotent
    assert mask_phone(expected) == f"{area}-{'*' * (len(local) - 2)}{local[-2:]}"


@pytest.mark.parametrize(
    "value, masked",
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("0914-2345678", "0914-*****78"),
        ("029-88886666", "029-******66"),
        ("", ""),
        (None, ""),
        ("12345", "12*45"),
        ("110", "***"),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


# ------------------------------------------------------------ names


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("张三", "张三"),
        ("  张三  ", "张三"),
        ("张 三", "张三"),
        ("张\u3000三", "张三"),
        ("欧阳 娜 娜", "欧阳娜娜"),
        ("买买提·艾力", "买买提·艾力"),
        ("买买提•艾力", "买买提·艾力"),
        ("买买提‧艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提･艾力", "买买提·艾力"),
        ("买买提．艾力", "买买提·艾力"),
        ("买买提.艾力", "买买提·艾力"),
        ("买买提﹒艾力", "买买提·艾力"),
        ("买买提 · 艾力", "买买提·艾力"),
        ("买买提··艾力", "买买提·艾力"),
        ("阿 依 古 丽 · 吐 尔 逊", "阿依古丽·吐尔逊"),
        ("约翰·F·肯尼迪", "约翰·F·肯尼迪"),
        ("约翰.F.肯尼迪", "约翰·F·肯尼迪"),
        ("·艾力", "艾力"),
        ("John  Smith", "John Smith"),
        ("  John\tF.  Kennedy ", "John F. Kennedy"),
        ("Jean•Pierre", "Jean·Pierre"),
        ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHN SMITH"),
        ("张三 Lily", "张三 Lily"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


_CJK_NAME_CHARS = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤买提艾力古丽"


@SMALL
@given(
    st.text(alphabet=_CJK_NAME_CHARS, min_size=1, max_size=4),
    st.text(alphabet=_CJK_NAME_CHARS, min_size=1, max_size=4),
    st.sampled_from(["·", "•", "‧", "・", "．", ".", "﹒", " · ", " . "]),
    st.lists(st.sampled_from([" ", "\u3000", "\u00a0", "\t"]), max_size=3),
    st.lists(st.integers(min_value=0, max_value=9), max_size=3),
)
def test_name_variants_property(first, last, dot, spaces, positions):
    raw = first + dot + last
    for sp, pos in zip(spaces, positions, strict=False):
        raw = raw[:pos] + sp + raw[pos:]
    assert normalize_name(raw) == first + "·" + last
    assert normalize_name(" ".join(first)) == first


@FAST
@given(st.text(max_size=20))
def test_normalize_name_is_idempotent(raw):
    once = normalize_name(raw)
    assert normalize_name(once) == once
    assert once == once.strip()
    assert "  " not in once


# ------------------------------------------------------------ pinyin


@pytest.mark.parametrize(
    "name, initials, full",
    [
        ("张三", "zs", "zhangsan"),
        ("张 三", "zs", "zhangsan"),
        ("买买提·艾力", "mmtal", "maimaitiaili"),
        ("李四", "ls", "lisi"),
        ("吕布", "lb", "lvbu"),
        ("曾国藩", "zgf", "zengguofan"),
        ("单田芳", "stf", "shantianfang"),
        ("欧阳修", "oyx", "ouyangxiu"),
        ("尉迟恭", "ycg", "yuchigong"),
        ("John Smith", "johnsmith", "johnsmith"),
        ("张三Lily", "zslily", "zhangsanlily"),
        ("王2", "w", "wang"),
        ("", "", ""),
    ],
)
def test_pinyin(name, initials, full):
    assert pinyin_initials(name) == initials
    assert pinyin_full(name) == full


@FAST
@given(st.text(alphabet=_CJK_NAME_CHARS, min_size=1, max_size=5))
def test_pinyin_initials_one_letter_per_character(name):
    initials = pinyin_initials(name)
    full = pinyin_full(name)
    assert len(initials) == len(name)
    assert initials.isascii() and initials.islower() and initials.isalpha()
    assert full.isascii() and full.islower() and full.isalpha()
    assert full[0] == initials[0]


def test_pinyin_is_cached():
    pinyin_initials.cache_clear()
    pinyin_initials("张三")
    pinyin_initials("张三")
    info = pinyin_initials.cache_info()
    assert info.hits >= 1
    assert info.maxsize == 65536
    assert pinyin_full.cache_info().maxsize == 65536


def test_initials_maker_equals_pinyin_initials_on_seed_names():
    import random

    from fangkong.residents.normalize import InitialsMaker, pinyin_initials
    from fangkong.residents.seed import FEMALE_CHARS, MALE_CHARS, SURNAMES

    make, rng = InitialsMaker(), random.Random(1)
    chars = MALE_CHARS + FEMALE_CHARS
    for surname in [*SURNAMES, "单", "曾", "欧", "司", "王"]:
        for gn in [*chars[:40], *("".join(rng.sample(chars, 2)) for _ in range(60)), "子", "兴", "阳锋", "马懿"]:
            assert make(surname, gn) == pinyin_initials(surname + gn), surname + gn
