"""Cases, contacts, control statuses, manual-status requests, county rule-set overrides and assist-
investigation (协查) lists.

Every scoped table carries `area_path` (the person's area, or the county for county-wide rows).
A control status exists only with a rule and evidence (derived) or with an approved request (manual):
the database refuses anything else (CHECK constraint `control_status_has_basis`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.fields import PathField
from fangkong.epi.rules import PHASE_KINDS

User = settings.AUTH_USER_MODEL


class CaseKind(models.TextChoices):
    CONFIRMED = "confirmed", _("确诊病例")
    ASYMPTOMATIC = "asymptomatic", _("无症状感染者")


class CaseSource(models.TextChoices):
    POSITIVE_TEST = "positive_test", _("单管阳性")
    MANUAL = "manual", _("流调人员登记")


class Case(models.Model):
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="epi_cases",
                               verbose_name=_("感染者"))
    kind = models.CharField(_("类型"), max_length=16, choices=CaseKind.choices, default=CaseKind.ASYMPTOMATIC)
    onset_date = models.DateField(_("发病日期"), null=True, blank=True)
    sampled_date = models.DateField(_("阳性采样日期"), null=True, blank=True)
    isolated_date = models.DateField(_("隔离/收治日期"), null=True, blank=True)
    released_date = models.DateField(_("解除/出院日期"), null=True, blank=True)
    home_address = models.CharField(_("居住地"), max_length=300, blank=True)
    work_address = models.CharField(_("工作地"), max_length=300, blank=True)
    investigation = models.TextField(_("流调记录"), blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=CaseSource.choices, default=CaseSource.MANUAL)
    source_ref = models.CharField(_("来源编号"), max_length=120, null=True, blank=True, unique=True)
    area_path = PathField(_("区域路径"))
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("病例")
        verbose_name_plural = _("病例")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person.name if self.person_id else ''}".strip()

    @property
    def anchor_date(self):
        return self.onset_date or self.sampled_date


class InvestigationEntry(models.Model):
    """One place and time in a case's investigation (流调轨迹)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    place = models.CharField(_("地点"), max_length=200)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    area_path = PathField(_("区域路径"))
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("流调轨迹")
        ordering = ["started_at", "id"]


class ContactCategory(models.TextChoices):
    CLOSE = "close_contact", _("密切接触者")
    SECONDARY = "secondary_contact", _("密接的密接")


class Contact(models.Model):
    """A confirmed contact: only an epidemiologist's confirmation creates one (never a suggestion alone)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("病例"))
    via = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="secondaries",
                            verbose_name=_("经由密接"))
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="epi_contacts")
    category = models.CharField(_("类别"), max_length=20, choices=ContactCategory.choices)
    contact_date = models.DateField(_("末次接触日期"))
    situation = models.CharField(_("判定情形"), max_length=40, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    area_path = PathField(_("区域路径"))
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("接触者")
        verbose_name_plural = _("接触者")
        ordering = ["contact_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "category"], name="contact_unique_per_case"),
            models.CheckConstraint(
                condition=Q(category="close_contact", via__isnull=True) | Q(category="secondary_contact"),
                name="contact_close_has_no_via",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.person.name if self.person_id else ''}"


class SuggestionSource(models.TextChoices):
    HOUSEHOLD = "household", _("同户")
    NEIGHBOUR = "neighbour", _("同单元上下层")
    TUBE_MATE = "tube_mate", _("同一混管")
    TABLE_NEIGHBOUR = "table_neighbour", _("同一采样台前后")


class SuggestionState(models.TextChoices):
    PENDING = "pending", _("待研判")
    CONFIRMED = "confirmed", _("已确认为接触者")
    DISMISSED = "dismissed", _("已排除")


class ContactSuggestion(models.Model):
    """A candidate the platform proposes; a person confirms (creating a Contact) or dismisses it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="suggestions")
    via = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("residents.Person", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("依据"), max_length=20, choices=SuggestionSource.choices)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=SuggestionState.choices,
                             default=SuggestionState.PENDING)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    area_path = PathField(_("区域路径"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("接触者建议")
        ordering = ["source", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "source"], name="suggestion_unique"),
        ]


class StatusOrigin(models.TextChoices):
    DERIVED = "derived", _("依规则生成")
    MANUAL = "manual", _("人工（经审批）")


STATUS_KIND_CHOICES = [(k, v) for k, v in PHASE_KINDS.items()]


class RequestState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ManualStatusRequest(models.Model):
    """Four eyes: a manual status needs a written reason, an end date, and a second epi user's approval."""

    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("管控方式"), max_length=32, choices=STATUS_KIND_CHOICES)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    reason = models.TextField(_("理由"))
    state = models.CharField(_("状态"), max_length=12, choices=RequestState.choices, default=RequestState.PENDING)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    area_path = PathField(_("区域路径"))

    class Meta:
        verbose_name = _("人工管控申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(decided_by=F("requested_by")), name="manual_request_four_eyes"),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="manual_request_end_after_start"),
            models.CheckConstraint(condition=~Q(reason=""), name="manual_request_has_reason"),
        ]


class ControlStatus(models.Model):
    """What applies to a person, with the rule and the evidence (derived) or the approved request (manual)."""

    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="control_statuses")
    kind = models.CharField(_("管控方式"), max_length=32, choices=STATUS_KIND_CHOICES)
    category = models.CharField(_("人员类别"), max_length=32, blank=True)
    category_name = models.CharField(_("人员类别名称"), max_length=60, blank=True)
    phase_index = models.PositiveSmallIntegerField(default=0)
    start = models.DateField(_("开始"))
    end = models.DateField(_("结束"), null=True, blank=True)
    rule_id = models.CharField(_("规则"), max_length=80, blank=True)
    ruleset_id = models.CharField(_("方案"), max_length=40, blank=True)
    ruleset_version = models.PositiveIntegerField(default=0)
    ruleset_name = models.CharField(max_length=40, blank=True)
    explanation = models.TextField(_("说明"), blank=True)
    override_notes = models.JSONField(default=list, blank=True)
    test_days = models.JSONField(default=list, blank=True)
    fact_key = models.CharField(max_length=160, blank=True)
    evidence_type = models.CharField(max_length=40, blank=True)
    evidence_id = models.CharField(max_length=40, blank=True)
    evidence_label = models.CharField(_("依据"), max_length=300, blank=True)
    origin = models.CharField(_("来源"), max_length=8, choices=StatusOrigin.choices)
    request = models.OneToOneField(ManualStatusRequest, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="status")
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area_path = PathField(_("区域路径"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("管控状态")
        verbose_name_plural = _("管控状态")
        ordering = ["start", "phase_index", "id"]
        indexes = [models.Index(fields=["person", "start"], name="control_status_person_idx")]
        constraints = [
            # No status without a basis: a rule and evidence, or an approved request with an end date.
            models.CheckConstraint(
                condition=(
                    Q(origin="derived") & ~Q(rule_id="") & ~Q(evidence_type="") & ~Q(evidence_id="")
                    & Q(request__isnull=True)
                )
                | (
                    Q(origin="manual") & Q(request__isnull=False) & Q(approved_by__isnull=False)
                    & Q(end__isnull=False)
                ),
                name="control_status_has_basis",
            ),
            models.UniqueConstraint(fields=["person", "fact_key", "phase_index"], condition=Q(origin="derived"),
                                    name="control_status_derived_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.get_kind_display()} {self.start}–{self.end or ''}"


class RulesetOverride(models.Model):
    """A county's change of one value of a rule set, effective once a second user approved it."""

    county = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区县"))
    area_path = PathField(_("区域路径"))
    ruleset_id = models.CharField(_("方案"), max_length=40)
    path = models.CharField(_("项目"), max_length=120)
    value = models.JSONField(_("新值"))
    reason = models.TextField(_("理由"))
    state = models.CharField(_("状态"), max_length=12, choices=RequestState.choices, default=RequestState.PENDING)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("方案覆盖")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(approved_by=F("created_by")), name="override_four_eyes"),
        ]


class AssistOutcome(models.TextChoices):
    CONTROLLED = "controlled", _("已找到并落实管控")
    NOT_IN_AREA = "not_in_area", _("已找到，不在本地")
    NOT_FOUND = "not_found", _("查无此人")
    DUPLICATE = "duplicate", _("重复")


class AssistList(models.Model):
    """A 协查 list pushed from above."""

    title = models.CharField(_("名称"), max_length=200)
    reason = models.CharField(_("协查原因"), max_length=300)
    deadline = models.DateTimeField(_("反馈时限"))
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("下发区域"))
    area_path = PathField(_("区域路径"))
    filename = models.CharField(max_length=200, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_matched = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("协查名单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class MatchMethod(models.TextChoices):
    EXACT_ID = "exact_id", _("身份证号一致")
    PARTIAL_ID = "partial_id", _("部分证件号+姓名")
    PHONE = "phone", _("手机号")
    NAME_ADDRESS = "name_address", _("姓名+地址")
    AMBIGUOUS = "ambiguous", _("多人相符，待人工确认")
    NONE = "none", _("未匹配")
    MANUAL = "manual", _("人工指定")


def _empty_list() -> list:
    return []


class AssistItem(models.Model):
    list = models.ForeignKey(AssistList, on_delete=models.CASCADE, related_name="items")
    row_number = models.PositiveIntegerField()
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=60, blank=True)
    id_number = models.CharField(_("证件号"), max_length=60, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    extra = models.CharField(_("其他"), max_length=500, blank=True)
    person = models.ForeignKey("residents.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("匹配方式"), max_length=16, choices=MatchMethod.choices, default=MatchMethod.NONE)
    confidence = models.FloatField(_("置信度"), default=0)
    candidates = models.JSONField(default=_empty_list, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    grid = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_to = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    area_path = PathField(_("区域路径"))
    outcome = models.CharField(_("处置结果"), max_length=16, choices=AssistOutcome.choices, blank=True)
    outcome_note = models.CharField(_("处置说明"), max_length=300, blank=True)
    outcome_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("协查条目")
        ordering = ["list", "row_number"]
        indexes = [models.Index(fields=["list", "area_path"], name="assist_item_list_area_idx")]
