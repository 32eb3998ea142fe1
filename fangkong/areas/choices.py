from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("区/县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    COMPOUND = "compound", _("小区")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")


LEVEL_ORDER: list[str] = [lv.value for lv in Level]
LEVEL_DEPTH: dict[str, int] = {lv: i for i, lv in enumerate(LEVEL_ORDER)}

# Levels that carry official division codes and are never created, moved or retired in the product.
CODED_LEVELS = frozenset({Level.CITY, Level.COUNTY, Level.STREET})


def child_level(level: str) -> str | None:
    i = LEVEL_DEPTH[level]
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


class Kind(models.TextChoices):
    """The finer kind within a level (from the division data or chosen on creation)."""

    CITY = "city", _("市")
    DISTRICT = "county", _("区/县")
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    TOWNSHIP = "township", _("乡")
    SPECIAL = "special", _("其他")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    GRID = "grid", _("网格")
    COMPOUND = "compound", _("小区")
    WORK_UNIT_COMPOUND = "work_unit_compound", _("家属院")
    VILLAGE_GROUP = "village_group", _("自然组")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")


KINDS_BY_LEVEL: dict[str, list[str]] = {
    Level.COMMUNITY: [Kind.COMMUNITY, Kind.VILLAGE],
    Level.GRID: [Kind.GRID],
    Level.COMPOUND: [Kind.COMPOUND, Kind.WORK_UNIT_COMPOUND, Kind.VILLAGE_GROUP],
    Level.BUILDING: [Kind.BUILDING],
    Level.UNIT: [Kind.UNIT],
}
