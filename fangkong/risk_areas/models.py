"""Risk areas (风险区), their members down to the room, their timeline, and the numbered notices
(通告) of an issuer that designate, downgrade, upgrade and lift them.

Scoped tables carry `area_path`: a risk area the path of the node it lies in (the lowest common
node of its members: a community, a street, a county), a notice and an issuer the path of the
issuer's area (the city for 商洛市疫情防控应急指挥部).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.fields import PathField
from fangkong.risk_areas.choices import ChangeKind, EventKind, MemberKind, NoticeStatus, RiskAreaStatus


class Issuer(models.Model):
    """Who signs notices (商洛市疫情防控应急指挥部); numbers run per issuer."""

    name = models.CharField(_("发布机关"), max_length=100, unique=True)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("辖区"))
    area_path = PathField(_("区域路径"))
    title = models.CharField(_("通告标题"), max_length=100, default="关于调整风险等级的通告")
    next_number = models.PositiveIntegerField(_("下一个编号"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("发布机关")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RiskArea(models.Model):
    name = models.CharField(_("名称"), max_length=300, blank=True,
                            help_text=_("通告中的名称；留空则由组成部分生成"))
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    area_path = PathField(_("区域路径"))
    county = models.ForeignKey("areas.Area", null=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("区/县"))
    ruleset_id = models.CharField(_("防控方案"), max_length=32)
    status = models.CharField(_("状态"), max_length=16, choices=RiskAreaStatus.choices,
                              default=RiskAreaStatus.PROPOSED, db_index=True)
    level = models.CharField(_("风险等级"), max_length=16, blank=True)
    proposed_level = models.CharField(_("拟划定等级"), max_length=16, blank=True)
    measures = models.CharField(_("管控措施"), max_length=200, blank=True)
    designated_at = models.DateTimeField(_("划定时间"), null=True, blank=True)
    level_since = models.DateTimeField(_("当前等级起始"), null=True, blank=True)
    downgraded_from = models.CharField(max_length=16, blank=True)
    downgraded_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("风险区域")
        verbose_name_plural = _("风险区域")
        ordering = ["area_path", "id"]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == RiskAreaStatus.ACTIVE


class RiskAreaMember(models.Model):
    """One part of a risk area: a tree node (compound, building, unit, village group, community),
    a floor or a room of a building/unit, a written boundary with a drawn outline, or "the rest of X"
    (kind rest: the node X minus the `excluded` risk areas while they are not lifted — "城关街道其他区域",
    "山阳县除高风险区以外区域")."""

    risk_area = models.ForeignKey(RiskArea, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(_("类型"), max_length=16, choices=MemberKind.choices)
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("区域"))
    area_path = PathField(_("区域路径"), blank=True)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    room = models.CharField(_("房号"), max_length=20, blank=True)
    boundary_text = models.TextField(_("四至边界"), blank=True)
    outline = models.JSONField(_("轮廓(GeoJSON)"), null=True, blank=True)
    excluded = models.ManyToManyField(RiskArea, blank=True, related_name="excluded_by",
                                      verbose_name=_("除外的风险区域"))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("风险区域组成")
        ordering = ["risk_area", "order", "id"]


class RiskAreaEvent(models.Model):
    """The timeline of an area: proposed, designated, downgraded, upgraded, lifted (by which notice)."""

    risk_area = models.ForeignKey(RiskArea, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    from_level = models.CharField(max_length=16, blank=True)
    to_level = models.CharField(max_length=16, blank=True)
    effective_at = models.DateTimeField(_("生效时间"))
    notice = models.ForeignKey("Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["risk_area", "effective_at", "id"]


class Notice(models.Model):
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="notices", verbose_name=_("发布机关"))
    area_path = PathField(_("区域路径"))
    number = models.PositiveIntegerField(_("编号"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    ruleset_id = models.CharField(_("防控方案"), max_length=32)
    basis = models.CharField(_("依据"), max_length=200)
    preamble = models.CharField(_("开头"), max_length=200, blank=True)
    effective_at = models.DateTimeField(_("生效时间"))
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT,
                              db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("提交人"))
    requested_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("审批人"))
    approved_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(_("已执行"), null=True, blank=True)

    class Meta:
        verbose_name = _("通告")
        verbose_name_plural = _("通告")
        ordering = ["-published_on", "-number", "-id"]
        constraints = [models.UniqueConstraint(fields=["issuer", "number"], name="notice_number_unique")]
        indexes = [models.Index(fields=["status", "applied_at", "effective_at"], name="notice_due_idx")]

    def __str__(self) -> str:
        num = f"第{self.number}号" if self.number else "（未编号）"
        return f"{self.issuer.name}{self.title}{num}"


class NoticeChange(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="changes")
    risk_area = models.ForeignKey(RiskArea, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(_("类型"), max_length=16, choices=ChangeKind.choices)
    from_level = models.CharField(max_length=16, blank=True)
    to_level = models.CharField(max_length=16, blank=True)  # "" = lifted
    measures = models.CharField(_("措施"), max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["notice", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["notice", "risk_area"], name="notice_change_once")]
