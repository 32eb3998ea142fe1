"""Masking of personal data shown in lists (full values only on detail pages, logged)."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) >= 15:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) <= 4:
        return value[0] + "*" * (len(value) - 1)
    keep = 2
    return value[:keep] + "*" * max(1, len(value) - 2 * keep) + value[-keep:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = value
    if len(digits) == 11 and digits.isdigit():
        return digits[:3] + "****" + digits[-4:]
    if "-" in digits:
        area, rest = digits.split("-", 1)
        return area + "-" + "*" * max(1, len(rest) - 2) + rest[-2:]
    if len(digits) > 4:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return "*" * len(digits)


def mask_name(value: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧**娜 (for public lists)."""
    if not value:
        return ""
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
