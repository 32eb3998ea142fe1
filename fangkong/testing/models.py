"""Testing rounds (区域核酸筛查): rounds over areas, sampling sites and tables, pooled tubes, the
bindings of people to tubes, lab results, and the coverage counters dashboards read.

Hot tables carry `area_path` so that scoping is one range condition. `Binding` is the one table that
grows by millions in a morning: it has only the columns and indexes the ingest and the contact
selectors need.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.fields import PathField
from fangkong.testing.choices import (
    BoxStatus,
    ExemptReason,
    Mode,
    PersonState,
    RecallOutcome,
    RecallStatus,
    Result,
    RoundStatus,
    TubeStatus,
)


class Round(models.Model):
    """A round of area-wide testing opened by HQ or a county over some areas."""

    name = models.CharField(_("名称"), max_length=120)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("发起区域"))
    area_path = PathField(_("区域路径"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("状态"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    infant_age_years = models.PositiveSmallIntegerField(_("免检婴幼儿年龄（未满）"), default=3)
    pooled_turnaround_hours = models.PositiveSmallIntegerField(_("混管报告时限（小时）"), default=24)
    single_turnaround_hours = models.PositiveSmallIntegerField(_("单管报告时限（小时）"), default=6)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("检测轮次")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.name


class RoundArea(models.Model):
    """An area covered by a round, with its sampling mode (data, not code)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="areas")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    area_path = PathField(_("区域路径"))
    mode = models.CharField(_("采样方式"), max_length=12, choices=Mode.choices, default=Mode.POOL)
    capacity = models.PositiveSmallIntegerField(_("每管人数上限"), default=10)

    class Meta:
        verbose_name = _("轮次区域")
        constraints = [models.UniqueConstraint(fields=["round", "area"], name="round_area_unique")]


class Site(models.Model):
    """A sampling site (采样点) or a door-to-door team (入户采样组)."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("采样点")
        DOOR_TO_DOOR = "door_to_door", _("入户采样组")

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.FIXED)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    area_path = PathField(_("区域路径"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    hours = models.CharField(_("开放时间"), max_length=100, blank=True, help_text=_("例如 07:00-12:00, 14:00-18:00"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("采样点")
        ordering = ["area_path", "name"]

    def __str__(self) -> str:
        return self.name


class Table(models.Model):
    """A sampling table (采样台) of a site, with its assigned samplers."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(_("名称"), max_length=60)
    area_path = PathField(_("区域路径"))
    samplers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                      verbose_name=_("采样人员"))

    class Meta:
        verbose_name = _("采样台")
        ordering = ["site_id", "name"]

    def __str__(self) -> str:
        return f"{self.site.name} {self.name}"


class Box(models.Model):
    """A transfer box (转运箱) of tubes, handed to transport and received by a lab."""

    barcode = models.CharField(_("箱码"), max_length=40, unique=True)
    area_path = PathField(_("区域路径"))
    status = models.CharField(_("状态"), max_length=12, choices=BoxStatus.choices, default=BoxStatus.PACKING)
    handed_at = models.DateTimeField(_("交接时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("转运箱")


class Tube(models.Model):
    """A tube and its count, updated with every request that binds people to it and once by its result.
    Its indexes leave out the columns those updates change (count, status, closed_at, result), so that
    PostgreSQL updates the row in place ("HOT", see migration 0004) without touching an index; the
    barcode's uniqueness is a constraint (no extra `varchar_pattern_ops` index)."""

    barcode = models.CharField(_("管码"), max_length=40)
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="tubes", db_index=False)
    capacity = models.PositiveSmallIntegerField(_("容量"))
    table = models.ForeignKey(Table, null=True, blank=True, on_delete=models.PROTECT, related_name="tubes")
    area_path = PathField(_("区域路径"))
    status = models.CharField(_("状态"), max_length=8, choices=TubeStatus.choices, default=TubeStatus.OPEN)
    count = models.PositiveSmallIntegerField(_("已采人数"), default=0)
    opened_at = models.DateTimeField(_("开管时间"))
    closed_at = models.DateTimeField(_("封管时间"), null=True, blank=True)
    box = models.ForeignKey(Box, null=True, blank=True, on_delete=models.SET_NULL, related_name="tubes")
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices, blank=True)
    result_at = models.DateTimeField(_("结果时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("试管")
        # the round's tubes by age (turnaround: those still without a result are filtered from these)
        indexes = [models.Index(fields=["round", "opened_at"], name="tube_round_opened_idx")]
        constraints = [models.UniqueConstraint(fields=["barcode"], name="tube_barcode_unique")]

    def __str__(self) -> str:
        return self.barcode


class Binding(models.Model):
    """One person bound to one tube: the row the terminals send by the million.

    `client_id` is generated by the terminal and unique: a retried batch creates nothing twice.
    `batch` tells the request that inserted a row from a concurrent retry of the same items.
    The uniqueness is a constraint, not `unique=True`: on PostgreSQL that would add a second
    (`varchar_pattern_ops`) index on `client_id`, maintained for every row and never used.
    """

    client_id = models.CharField(max_length=64)
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+", db_index=False)
    tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="bindings")
    table = models.ForeignKey(Table, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+", db_index=False)
    sampled_at = models.DateTimeField()
    received_at = models.DateTimeField()
    batch = models.CharField(max_length=32)
    repeat = models.BooleanField(default=False, help_text="the person was already sampled in this round")
    walk_in = models.BooleanField(default=False, help_text="the person was registered at the table")

    class Meta:
        verbose_name = _("采样记录")
        indexes = [
            models.Index(fields=["person", "sampled_at"], name="binding_person_idx"),
            models.Index(fields=["table", "sampled_at"], name="binding_table_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["client_id"], name="binding_client_id_unique")]


class RoundSample(models.Model):
    """A person sampled in a round (one row per person and round); `tube` is their current tube and
    `state` their current result. Coverage counters count these rows."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+", db_index=False)
    person = models.ForeignKey("residents.Person", on_delete=models.CASCADE, related_name="+", db_index=False)
    area_path = PathField(_("区域路径"), db_index=False)
    tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=PersonState.choices, default=PersonState.PENDING)
    counted = models.BooleanField(default=True, help_text="inside the round's areas and not exempt")
    sampled_at = models.DateTimeField()

    class Meta:
        verbose_name = _("受检人员")
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="round_sample_unique")]


class RoundExemption(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+", db_index=False)
    person = models.ForeignKey("residents.Person", on_delete=models.CASCADE, related_name="+")
    area_path = PathField(_("区域路径"))
    reason = models.CharField(max_length=16, choices=ExemptReason.choices)

    class Meta:
        verbose_name = _("免检人员")
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="round_exemption_unique")]


class CoverageCount(models.Model):
    """Counters of one round for the persons of one leaf area path. Coverage of any area is the sum
    over the range of its subtree: a handful of rows per building, never a scan of persons."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+", db_index=False)
    area_path = PathField(_("区域路径"), db_index=False)
    should = models.IntegerField(default=0)
    exempt = models.IntegerField(default=0)
    tested = models.IntegerField(default=0)
    sampled = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)
    pool_positive = models.IntegerField(default=0)
    positive = models.IntegerField(default=0)
    invalid = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("覆盖计数")
        constraints = [models.UniqueConstraint(fields=["round", "area_path"], name="coverage_count_unique")]


class CoverageDelta(models.Model):
    """An append-only change to a round's counters, written by the bindings ingest instead of updating
    `CoverageCount` (200 terminals in one transaction each would otherwise queue on the same counter rows).
    `services.coverage_fold` adds them to the counters and deletes them (`DELETE … RETURNING`), in the
    background every few seconds and before a coverage read that finds some."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    area_path = PathField(_("区域路径"), db_index=False)
    should = models.IntegerField(default=0)
    exempt = models.IntegerField(default=0)
    tested = models.IntegerField(default=0)
    sampled = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)
    pool_positive = models.IntegerField(default=0)
    positive = models.IntegerField(default=0)
    invalid = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("覆盖计数增量")


class Recall(models.Model):
    """A member of a positive pool called back for a single-tube re-sampling, staying at home until
    the single result settles it."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="recalls")
    person = models.ForeignKey("residents.Person", on_delete=models.CASCADE, related_name="+")
    tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="recalls")
    area_path = PathField(_("区域路径"))
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=RecallStatus.choices, default=RecallStatus.OPEN)
    stay_at_home = models.BooleanField(_("居家等待"), default=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=RecallOutcome.choices, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_tube = models.ForeignKey(Tube, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("混阳召回")
        ordering = ["area_path", "id"]
        constraints = [models.UniqueConstraint(fields=["tube", "person"], name="recall_unique")]
        indexes = [models.Index(fields=["person", "status"], name="recall_person_idx")]
