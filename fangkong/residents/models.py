"""Households and persons: the ledger (台账) of every household and every person (不漏一户、不漏一人).

Hot tables carry `area_path`, the materialized path of the lowest tree node they belong to (a unit,
a building, a compound or village group), so that scoping is one range condition.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.fields import PathField
from fangkong.residents.choices import ID_TYPE_CHOICES, CareTagKind, Relationship, ResidenceType, Sex


class Household(models.Model):
    """A 户: an address down to the room (or a village group and a house number)."""

    # no index of its own: household_room_idx (area, floor, room) starts with it
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="households", verbose_name=_("区域"),
                             db_index=False)
    area_path = PathField(_("区域路径"))
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    room = models.CharField(_("房号"), max_length=20, blank=True)
    house_number = models.CharField(_("门牌号"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True, db_index=True,
                               help_text=_("完整地址（生成，用于显示和查找）"))
    notes = models.TextField(_("备注"), blank=True)
    vacant = models.BooleanField(_("空置"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        constraints = [
            models.UniqueConstraint(fields=["area", "room", "house_number"], name="household_address_unique"),
        ]
        indexes = [models.Index(fields=["area", "floor", "room"], name="household_room_idx")]

    def __str__(self) -> str:
        return self.address or f"{self.area} {self.room or self.house_number}"


class Person(models.Model):
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("住户")
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="persons", verbose_name=_("区域"))
    area_path = PathField(_("区域路径"))
    name = models.CharField(_("姓名"), max_length=60, db_index=True)
    # searched through person_initials_idx (name_initials, area_path), which starts with it
    name_initials = models.CharField(_("拼音首字母"), max_length=30, blank=True)
    id_type = models.CharField(_("证件类型"), max_length=24, choices=ID_TYPE_CHOICES)
    id_number = models.CharField(_("证件号码"), max_length=40)
    id_tail = models.CharField(max_length=6, blank=True, db_index=True, help_text="last 6 characters, for search")
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    residence_type = models.CharField(_("人口类型"), max_length=16, choices=ResidenceType.choices,
                                      default=ResidenceType.RESIDENT)
    relationship = models.CharField(_("与户主关系"), max_length=20, choices=Relationship.choices, blank=True)
    workplace = models.CharField(_("工作单位"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    walk_in = models.BooleanField(_("临时登记"), default=False,
                                  help_text=_("在采样点等处以最少信息登记，待网格员核实"))
    needs_review = models.BooleanField(_("待核实"), default=False)  # shown, never searched: no index
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        constraints = [models.UniqueConstraint(fields=["id_type", "id_number"], name="person_id_document_unique")]
        indexes = [models.Index(fields=["name_initials", "area_path"], name="person_initials_idx")]

    def __str__(self) -> str:
        return self.name


class CareTag(models.Model):
    """A care tag (服务台账) on a person; a row each so the care ledger of an area is one range scan."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_tags")
    tag = models.CharField(_("标签"), max_length=32, choices=CareTagKind.choices)
    area_path = PathField(_("区域路径"), db_index=False)
    note = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("例如：每周三透析"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("关爱标签")
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="care_tag_unique")]
        indexes = [models.Index(fields=["tag", "area_path"], name="care_tag_area_idx")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_tag_display()}"


class PersonMove(models.Model):
    """A move between households, kept as history (never overwritten)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="moves")
    from_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_address = models.CharField(max_length=300, blank=True)
    to_address = models.CharField(max_length=300, blank=True)
    moved_at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.CharField(_("原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("迁移记录")
        ordering = ["-moved_at", "-id"]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """One upload of a ledger (《常住人口信息汇总表》): a dry run or a real import, with its counts."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("导入区域"))
    area_path = PathField(_("区域路径"))
    filename = models.CharField(_("文件名"), max_length=255)
    file_path = models.CharField(max_length=500)
    dry_run = models.BooleanField(_("预检"), default=True)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_file = models.CharField(max_length=500, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


class Campaign(models.Model):
    """A door-knocking campaign (敲门行动) over an area."""

    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_path = PathField(_("区域路径"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("开始时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("敲门行动")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.name


class VisitOutcome(models.TextChoices):
    VISITED = "visited", _("已入户")
    NOBODY_HOME = "nobody_home", _("无人在家（需回访）")
    REFUSED = "refused", _("拒绝")
    VACANT = "vacant", _("空置")
    MOVED_OUT = "moved_out", _("已搬离")
    NEW_PEOPLE = "new_people", _("发现新人员")


class Visit(models.Model):
    """One knock on a household's door during a campaign (history: every knock is a row)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="visits")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits")
    area_path = PathField(_("区域路径"))
    outcome = models.CharField(_("结果"), max_length=16, choices=VisitOutcome.choices)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("入户记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["campaign", "household"], name="visit_campaign_household_idx")]


class AreaCount(models.Model):
    """Maintained counters: rows of `kind` ("persons", "households", "tag:<care tag>") whose area_path is exactly
    `area_path`. Kept exact by database triggers (see `counters.py`); the counts of an area are the sum over its
    path range plus the pending `AreaCountDelta` rows, never a scan of the ledger."""

    area_path = PathField(_("区域路径"), db_index=False)
    kind = models.CharField(max_length=40)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area_path", "kind"], name="areacount_unique")]


class AreaCountDelta(models.Model):
    """Pending changes to `AreaCount` (PostgreSQL: appended by statement-level triggers so that concurrent writers
    never wait on a counter row; folded by `counters.fold`)."""

    area_path = PathField(_("区域路径"))
    kind = models.CharField(max_length=40)
    delta = models.BigIntegerField()
