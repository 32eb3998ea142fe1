from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.areas.choices import CODED_LEVELS, Kind, Level
from fangkong.core.fields import PathField


class AreaQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class Area(models.Model):
    """A node of the jurisdiction tree: city → county → street/town → community/village → grid →
    compound → building → unit.

    Coded levels keep their official 12-digit codes; lower levels get stable local codes
    (parent code + a 3-digit sequence from the parent's counter, which only ever grows, so the code
    of a retired node is never given again). `path` is the materialized path of codes.
    """

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, db_index=True)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    path = PathField(_("路径"), unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    official = models.BooleanField(_("官方代码"), default=False)
    next_child_seq = models.PositiveIntegerField(default=0)
    next_village_seq = models.PositiveIntegerField(default=199)
    sort_order = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "sort_order", "code"], name="area_children_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_coded(self) -> bool:
        return self.level in CODED_LEVELS

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.strip("/").split("/") if c]

    @property
    def area_path(self) -> str:
        """Areas are scoped by their own path, like every other scoped row."""
        return self.path


class AreaAlias(models.Model):
    """Another name for a node (a notice may say 富水街道 where the code list says 富水镇)."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("别名"), max_length=100, db_index=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("别名")
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="area_alias_unique")]

    def __str__(self) -> str:
        return self.name
