"""Tests for fangkong.residents.idnumbers (pure Python, no database)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fangkong.residents.idnumbers import (
    ID_TYPE_LABELS,
    ID_TYPE_SYNONYMS,
    PROVINCE_CODES,
    IdNumberError,
    IdType,
    citizen_id_age,
    citizen_id_birth_date,
    citizen_id_check_char,
    citizen_id_region,
    citizen_id_sex,
    guess_id_type,
    is_residence_permit,
    is_valid_citizen_id,
    make_citizen_id,
    mask_id_number,
    normalize_citizen_id,
    normalize_hk_macao_permit,
    normalize_household_register,
    normalize_id,
    normalize_military_officer,
    normalize_passport,
    normalize_taiwan_permit,
    resolve_id_type,
)

TODAY = date(2023, 1, 1)
FAST = settings(max_examples=200, deadline=None, database=None)
SMALL = settings(max_examples=100, deadline=None, database=None)  # secondary properties

# ---------------------------------------------------------------- strategies

_provinces = sorted(p for p in PROVINCE_CODES if p not in ("81", "82", "83"))
regions = st.one_of(
    st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(_provinces),
        st.text(alphabet="0123456789", min_size=4, max_size=4),
    ),
    st.sampled_from(["810000", "820000", "830000", "611002", "611021", "610102"]),
)
births = st.dates(min_value=date(1890, 1, 1), max_value=TODAY)
seqs = st.integers(min_value=0, max_value=999)
valid_ids = st.builds(make_citizen_id, regions, births, seqs)


def _err(fn, *args, **kwargs) -> IdNumberError:
    with pytest.raises(IdNumberError) as info:
        fn(*args, **kwargs)
    return info.value


def _with_check(first17: str) -> str:
    return first17 + citizen_id_check_char(first17)


_FULLWIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789Xx"}

# ------------------------------------------------------------ the standard


def test_standard_example_validates():
    assert normalize_citizen_id("11010519491231002X") == "11010519491231002X"
    assert normalize_citizen_id("11010519491231002x") == "11010519491231002X"
    assert citizen_id_check_char("11010519491231002") == "X"


def test_standard_example_with_wrong_check_fails():
    e = _err(normalize_citizen_id, "110105194912310021")
    assert e.code == "bad_check_digit"
    assert e.message == "身份证号校验位错误"
    assert isinstance(e, ValueError)
    assert not is_valid_citizen_id("110105194912310021")


def test_check_char_matches_python_stdnum():
    from stdnum.cn import ric

    for cid in ("11010519491231002X", make_citizen_id("611002", date(1990, 5, 17), 123)):
        assert ric.calc_check_digit(cid) == cid[-1]


@SMALL
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_property_vs_stdnum(first17):
    from stdnum.cn import ric

    assert citizen_id_check_char(first17) == ric.calc_check_digit(first17 + "0")


def test_check_char_rejects_bad_input():
    for bad in ("1234", "1101051949123100X", "１１０１０５１９４９１２３１００２"):
        assert _err(citizen_id_check_char, bad).code == "bad_format"


# ------------------------------------------------------------ make / round trip


@SMALL
@given(regions, births, seqs)
def test_make_citizen_id_round_trips(region, birth, seq):
    cid = make_citizen_id(region, birth, seq)
    assert len(cid) == 18
    assert normalize_citizen_id(cid, today=TODAY) == cid
    assert citizen_id_birth_date(cid) == birth
    assert citizen_id_sex(cid) == ("M" if seq % 2 else "F")
    assert citizen_id_region(cid) == region
    assert cid[14:17] == f"{seq:03d}"
    assert is_residence_permit(cid) == (region in ("810000", "820000", "830000"))


@SMALL
@given(valid_ids, st.integers(min_value=0, max_value=17), st.data())
def test_single_character_change_is_caught(cid, pos, data):
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != cid[pos]]))
    changed = cid[:pos] + new + cid[pos + 1 :]
    assert not is_valid_citizen_id(changed, today=TODAY)
    with pytest.raises(IdNumberError):
        normalize_citizen_id(changed, today=TODAY)


@SMALL
@given(valid_ids, st.integers(min_value=0, max_value=16))
def test_adjacent_transposition_is_caught(cid, pos):
    assume(cid[pos] != cid[pos + 1])
    swapped = cid[:pos] + cid[pos + 1] + cid[pos] + cid[pos + 2 :]
    assert not is_valid_citizen_id(swapped, today=TODAY)


@SMALL
@given(
    valid_ids,
    st.lists(st.sampled_from([" ", "\t", "\u00a0", "\u3000", "-", "\uff0d", "\u2014"]), max_size=6),
    st.lists(st.integers(min_value=0, max_value=18), max_size=6),
    st.booleans(),
    st.booleans(),
)
def test_variants_normalise_to_the_same_value(cid, seps, positions, fullwidth, lower):
    raw = cid.lower() if lower else cid
    if fullwidth:
        raw = raw.translate(_FULLWIDTH)
    for sep, pos in zip(seps, positions, strict=False):
        raw = raw[:pos] + sep + raw[pos:]
    assert normalize_citizen_id(raw, today=TODAY) == cid
    assert normalize_citizen_id(f"  '{raw}  ", today=TODAY) == cid  # Excel text prefix


def test_fullwidth_and_spaces_examples():
    assert normalize_citizen_id("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"
    assert normalize_citizen_id("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert normalize_citizen_id(" 110105 19491231 002x ") == "11010519491231002X"
    assert normalize_citizen_id("110105-1949-1231-002X") == "11010519491231002X"
    assert normalize_citizen_id("110105\u00a019491231\t002X") == "11010519491231002X"


def test_make_citizen_id_accepts_datetime_and_index_ints():
    cid = make_citizen_id("611002", datetime(1990, 5, 17, 8, 30), 7)
    assert cid == make_citizen_id("611002", date(1990, 5, 17), 7)

    class Idx:
        def __index__(self):
            return 7

    assert make_citizen_id("611002", date(1990, 5, 17), Idx()) == cid


@pytest.mark.parametrize(
    "args, code",
    [
        (("911002", date(1990, 1, 1), 1), "bad_region"),
        (("810100", date(1990, 1, 1), 1), "bad_region"),
        (("61100", date(1990, 1, 1), 1), "bad_format"),
        (("61100A", date(1990, 1, 1), 1), "bad_format"),
        (("611002", date(1889, 12, 31), 1), "bad_birth_date"),
        (("611002", date(1990, 1, 1), 1000), "bad_format"),
        (("611002", date(1990, 1, 1), -1), "bad_format"),
        (("611002", date(1990, 1, 1), True), "bad_format"),
        (("611002", date(1990, 1, 1), "001"), "bad_format"),
    ],
)
def test_make_citizen_id_rejects_bad_parts(args, code):
    assert _err(make_citizen_id, *args).code == code


def test_make_citizen_id_is_fast():
    birth = date(1985, 3, 14)
    start = time.perf_counter()
    for i in range(50_000):
        make_citizen_id("611002", birth, i % 1000)
    # about 1 microsecond a call; allow a lot of slack for busy machines
    assert time.perf_counter() - start < 2.0


# ------------------------------------------------------------ legacy 15 digits


@pytest.mark.parametrize(
    "old, new",
    [
        ("110105491231002", "11010519491231002X"),
        ("１１０１０５４９１２３１００２", "11010519491231002X"),
        ("110105 491231 002", "11010519491231002X"),
    ],
)
def test_15_digit_upgrade_examples(old, new):
    assert normalize_citizen_id(old) == new


@FAST
@given(regions, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), seqs)
def test_15_digit_upgrade_property(region, birth, seq):
    cid = make_citizen_id(region, birth, seq)
    old = cid[:6] + cid[8:17]
    assert len(old) == 15
    assert normalize_citizen_id(old, today=TODAY) == cid
    assert citizen_id_birth_date(old) == birth
    assert citizen_id_sex(old) == citizen_id_sex(cid)


def test_15_digit_rules():
    assert _err(normalize_citizen_id, "11010549123100X").code == "bad_format"
    assert _err(normalize_citizen_id, "110105490230002").code == "bad_birth_date"
    assert _err(normalize_citizen_id, "910105491231002").code == "bad_region"


# ------------------------------------------------------------ dates, regions, shape


@pytest.mark.parametrize(
    "date8",
    ["19990230", "19990229", "20230229", "19991301", "19990001", "19990100", "19990431", "00000101"],
)
def test_impossible_birth_dates_rejected(date8):
    cid = _with_check("611002" + date8 + "001")
    assert _err(normalize_citizen_id, cid, today=TODAY).code == "bad_birth_date"


def test_leap_day_accepted():
    cid = _with_check("61100220000229001")
    assert normalize_citizen_id(cid, today=TODAY) == cid
    assert citizen_id_birth_date(cid) == date(2000, 2, 29)


def test_too_old_birth_date_rejected():
    assert _err(normalize_citizen_id, _with_check("61100218891231001")).code == "bad_birth_date"
    cid = _with_check("61100218900101001")
    assert normalize_citizen_id(cid, today=TODAY) == cid


def test_future_birth_date_rejected():
    cid = make_citizen_id("611002", TODAY + timedelta(days=1), 1)
    e = _err(normalize_citizen_id, cid, today=TODAY)
    assert e.code == "future_birth_date"
    assert e.message
    # born today is fine
    born_today = make_citizen_id("611002", TODAY, 1)
    assert normalize_citizen_id(born_today, today=TODAY) == born_today
    # and the default reference date is the real today
    assert (
        _err(normalize_citizen_id, make_citizen_id("611002", date(9999, 1, 1), 1)).code == "future_birth_date"
    )


@FAST
@given(valid_ids, st.integers(min_value=1, max_value=40000))
def test_future_property(cid, days_before):
    birth = citizen_id_birth_date(cid)
    assume(birth - timedelta(days=days_before) >= date(1890, 1, 1))
    with pytest.raises(IdNumberError) as info:
        normalize_citizen_id(cid, today=birth - timedelta(days=days_before))
    assert info.value.code == "future_birth_date"


@pytest.mark.parametrize(
    "prov",
    [
        "00",
        "10",
        "16",
        "20",
        "24",
        "30",
        "38",
        "40",
        "47",
        "49",
        "55",
        "60",
        "66",
        "70",
        "72",
        "80",
        "84",
        "91",
        "99",
    ],
)
def test_bad_province_codes(prov):
    cid = _with_check(prov + "0102" + "19900101" + "001")
    assert _err(normalize_citizen_id, cid).code == "bad_region"


@pytest.mark.parametrize(
    "prov",
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
    ],
)
def test_good_province_codes(prov):
    cid = _with_check(prov + "0102" + "19900101" + "001")
    assert normalize_citizen_id(cid) == cid


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_residence_permits_validate_as_citizen_ids(region):
    cid = make_citizen_id(region, date(1980, 7, 1), 21)
    assert normalize_citizen_id(cid) == cid
    assert normalize_id("citizen_id", cid) == cid
    assert guess_id_type(cid) == "citizen_id"
    assert is_residence_permit(cid)
    wrong = cid[:-1] + ("0" if cid[-1] != "0" else "1")
    assert _err(normalize_citizen_id, wrong).code == "bad_check_digit"


def test_residence_permit_regions_are_exact():
    assert _err(normalize_citizen_id, _with_check("81010019800701021")).code == "bad_region"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("11010519491231002", "bad_length"),
        ("11010519491231002X1", "bad_length"),
        ("1101051949123100", "bad_length"),
        ("1101051949123100X2", "bad_format"),
        ("11010519491231002Y", "bad_format"),
        ("11010519491231002*", "bad_format"),
        ("身份证11010519491231002X", "bad_format"),
        ("11010519491231002X\u0663", "bad_format"),  # arabic-indic digit
    ],
)
def test_shape_errors(raw, code):
    assert _err(normalize_citizen_id, raw).code == code


def test_none_and_numbers():
    assert _err(normalize_citizen_id, None).code == "empty"
    assert normalize_citizen_id(110105491231002) == "11010519491231002X"  # an Excel number cell


def test_accessors_validate():
    with pytest.raises(IdNumberError):
        citizen_id_birth_date("110105194912310021")
    assert citizen_id_sex("11010519491231002X") == "F"
    cid = make_citizen_id("611002", date(1949, 12, 31), 1)
    assert citizen_id_sex(cid) == "M"
    assert citizen_id_region(" " + cid.lower()) == "611002"


def test_age():
    cid = make_citizen_id("611002", date(2000, 6, 15), 2)
    assert citizen_id_age(cid, on=date(2022, 6, 14)) == 21
    assert citizen_id_age(cid, on=date(2022, 6, 15)) == 22


# ------------------------------------------------------------ other documents


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("E12345678", "E12345678"),
        ("e 1234 5678", "E12345678"),
        ("ＥＡ１２３４５６７", "EA1234567"),
        ("G12345678", "G12345678"),
        ("D12345678", "D12345678"),
        ("S12345678", "S12345678"),
        ("P12345678", "P12345678"),
        ("ea1234567", "EA1234567"),
        ("123456789", "123456789"),  # a US passport
        ("X1234567", "X1234567"),
        ("AB12345", "AB12345"),
        ("A1234", "A1234"),
        ("a" * 10 + "1" * 10, "A" * 10 + "1" * 10),
    ],
)
def test_passport_valid(raw, expected):
    assert normalize_passport(raw) == expected
    assert normalize_id("passport", raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "A123", "E1234567/8", "护照E12345678", "ABCDEFGH", "UNKNOWN", "1" * 21, "E1234#5678", "无"]
)
def test_passport_invalid(raw):
    e = _err(normalize_passport, raw)
    assert e.code in ("empty", "bad_format")
    assert e.message


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("H12345678", "H12345678"),
        ("m12345678", "M12345678"),
        ("H 1234 5678", "H12345678"),
        ("Ｈ１２３４５６７８", "H12345678"),
        ("H1234567890", "H1234567890"),
        ("M1234567801", "M1234567801"),
    ],
)
def test_hk_macao_permit_valid(raw, expected):
    assert normalize_hk_macao_permit(raw) == expected
    assert normalize_id(IdType.HK_MACAO_PERMIT, raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "H1234567", "H123456789", "C12345678", "12345678", "HH12345678", "H12345678901"]
)
def test_hk_macao_permit_invalid(raw):
    assert _err(normalize_hk_macao_permit, raw).code in ("empty", "bad_format")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12345678", "12345678"),
        ("1234 5678", "12345678"),
        ("1234567890", "1234567890"),
        ("1234567890(B)", "1234567890B"),
        ("1234567890(b)", "1234567890B"),
        ("1234567890b", "1234567890B"),
        ("１２３４５６７８９０（Ｂ）", "1234567890B"),
        ("1234567890[B]", "1234567890B"),
    ],
)
def test_taiwan_permit_valid(raw, expected):
    assert normalize_taiwan_permit(raw) == expected
    assert normalize_id("taiwan_permit", raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "1234567", "123456789", "12345678901", "1234567890(BC)", "T12345678", "12345678B", "1234567890()"],
)
def test_taiwan_permit_invalid(raw):
    assert _err(normalize_taiwan_permit, raw).code in ("empty", "bad_format")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("政字第012345号", "政字第012345号"),
        (" 南字第 123456 号 ", "南字第123456号"),
        ("ｊｕｎ１２３４", "JUN1234"),
        ("A1234", "A1234"),
    ],
)
def test_military_officer(raw, expected):
    assert normalize_military_officer(raw) == expected
    assert normalize_id("军官证", raw) == expected


@pytest.mark.parametrize("raw", ["", "  ", "12", "无", "不详不详", "政字第号", "x" * 31, "12345<script>"])
def test_military_officer_invalid(raw):
    assert _err(normalize_military_officer, raw).code in ("empty", "bad_format")


def test_household_register():
    assert normalize_household_register(" 061234567 ") == "061234567"
    assert normalize_household_register("商字第00012号") == "商字第00012号"
    assert normalize_id("household_register", "No-00123") == "NO-00123"
    for bad in ("", "无", "N/A", "----", "1" * 31):
        assert _err(normalize_household_register, bad).code in ("empty", "bad_format")


# ------------------------------------------------------------ types and dispatch


def test_id_type_enum_and_labels():
    assert IdType.CITIZEN_ID == "citizen_id"
    assert str(IdType.PASSPORT) == "passport"
    assert f"{IdType.TAIWAN_PERMIT}" == "taiwan_permit"
    assert IdType("hk_macao_permit") is IdType.HK_MACAO_PERMIT
    assert set(ID_TYPE_LABELS) == {m.value for m in IdType}
    assert ID_TYPE_LABELS["citizen_id"] == "居民身份证"
    assert ID_TYPE_LABELS["hk_macao_permit"] == "港澳居民来往内地通行证"
    assert ID_TYPE_LABELS["taiwan_permit"] == "台湾居民来往大陆通行证"
    assert IdType.MILITARY_OFFICER.label == "军官证"
    assert IdType.choices()[0] == ("citizen_id", "居民身份证")
    assert set(ID_TYPE_SYNONYMS.values()) <= set(ID_TYPE_LABELS)


@pytest.mark.parametrize(
    "spelling, code",
    [
        ("身份证", "citizen_id"),
        ("居民身份证", "citizen_id"),
        ("二代身份证", "citizen_id"),
        (" 身 份 证 ", "citizen_id"),
        ("护照", "passport"),
        ("PASSPORT", "passport"),
        ("回乡证", "hk_macao_permit"),
        ("港澳通行证", "hk_macao_permit"),
        ("港澳居民来往内地通行证", "hk_macao_permit"),
        ("台胞证", "taiwan_permit"),
        ("台湾居民来往大陆通行证", "taiwan_permit"),
        ("军官证", "military_officer"),
        ("户口簿", "household_register"),
        ("户口本", "household_register"),
        ("citizen_id", "citizen_id"),
        (IdType.PASSPORT, "passport"),
        ("驾驶证", None),
        ("", None),
        (None, None),
    ],
)
def test_resolve_id_type(spelling, code):
    assert resolve_id_type(spelling) == code


def test_normalize_id_dispatch():
    assert normalize_id("citizen_id", "11010519491231002x") == "11010519491231002X"
    assert normalize_id(IdType.CITIZEN_ID, "110105491231002") == "11010519491231002X"
    assert normalize_id("二代身份证", "11010519491231002x") == "11010519491231002X"
    assert normalize_id("回乡证", "h12345678") == "H12345678"
    assert normalize_id("台胞证", "12345678") == "12345678"
    future = make_citizen_id("611002", date(2030, 1, 1), 1)
    assert normalize_id("citizen_id", future, today=date(2031, 1, 1)) == future
    assert _err(normalize_id, "citizen_id", future, today=TODAY).code == "future_birth_date"
    for bad_type in ("driving_licence", "", None, "驾驶证"):
        e = _err(normalize_id, bad_type, "12345678")
        assert e.code == "bad_type"
        assert e.message == "未知的证件类型"


# ------------------------------------------------------------ masking


@pytest.mark.parametrize(
    "value, masked",
    [
        ("611002199001010015", "6110**********0015"),
        ("11010519491231002X", "1101**********002X"),
        ("E12345678", "E1*****78"),
        ("H1234567890", "H1*******90"),
        ("12345", "12*45"),
        ("1234", "1**4"),
        ("123", "1*3"),
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@FAST
@given(st.text(alphabet="0123456789ABCDEFGHX", min_size=1, max_size=30))
def test_mask_never_reveals_everything(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert "*" in masked
    if len(value) == 18:
        assert masked[:4] == value[:4] and masked[-4:] == value[-4:] and masked[4:14] == "*" * 10


# ------------------------------------------------------------ guessing


@pytest.mark.parametrize(
    "raw, code",
    [
        ("11010519491231002x", "citizen_id"),
        ("110105491231002", "citizen_id"),
        (make_citizen_id("810000", date(1980, 7, 1), 21), "citizen_id"),
        ("110105194912310021", None),  # looks like a citizen id but the check fails
        ("11010519990230002X", None),
        ("H12345678", "hk_macao_permit"),
        ("M1234567890", "hk_macao_permit"),
        ("12345678", "taiwan_permit"),
        ("1234567890(B)", "taiwan_permit"),
        ("E12345678", "passport"),
        ("EA1234567", "passport"),
        ("X98765432Z", "passport"),
        ("政字第012345号", "military_officer"),
        ("", None),
        ("无", None),
        ("abc", None),
    ],
)
def test_guess_id_type(raw, code):
    assert guess_id_type(raw, today=TODAY) == code


@FAST
@given(valid_ids)
def test_guess_generated_ids(cid):
    assert guess_id_type(cid.lower(), today=TODAY) == "citizen_id"


def test_accessors_do_not_check_the_future():
    cid = make_citizen_id("611002", date(2999, 1, 1), 2)
    assert citizen_id_birth_date(cid) == date(2999, 1, 1)
    assert citizen_id_sex(cid) == "F"
    bad_date = _with_check("61100219990230001")
    with pytest.raises(IdNumberError) as info:
        citizen_id_birth_date(bad_date)
    assert info.value.code == "bad_birth_date"
