"""Isolation: centralized sites (集中隔离点) and home isolation (居家隔离) with guardian teams (五包一).

An `Episode` is one person's isolation: the rule set id/version and category it runs under (its plan
comes from `fangkong.epi.rules.control_plan`, never from here), the phase it covers, where (a site and a
room, or home), and the evidence (the epi ControlStatus / Contact). Daily work is `Task` rows
(follow-ups twice a day, tests on the plan's test days), generated in bulk by the daily job.

Scoping: `area_path` is the person's home area (community staff see their home isolations);
`site_path` is the site's area (blank for home isolation). Isolation staff see their sites by
membership (`SiteStaff`), guardians the people they guard (`GuardianMember`): see selectors.episode_qs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.fields import PathField

User = settings.AUTH_USER_MODEL

DEFAULT_GROUPS = ("信息联络组", "医学观察组", "清洁消杀组", "核酸采样组", "医废收集组", "环境卫生组", "后勤保障组",
                  "安全保卫组")
SAMPLING_GROUP = "核酸采样组"
DEFAULT_TEAM_ROLES = ("社区干部", "网格员", "医务人员", "民警", "志愿者")


class Site(models.Model):
    name = models.CharField(_("名称"), max_length=120)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在街道/乡镇"))
    area_path = PathField(_("区域路径"))
    address = models.CharField(_("地址"), max_length=300, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    party_branch = models.CharField(_("临时党支部"), max_length=120, blank=True)
    party_secretary = models.CharField(_("临时党支部书记"), max_length=60, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("集中隔离点")
        verbose_name_plural = _("集中隔离点")
        ordering = ["area_path", "name", "id"]

    def __str__(self) -> str:
        return self.name


class SiteGroup(models.Model):
    """A working group of a site (信息联络组, 医学观察组 … configurable per site)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("工作组"), max_length=40)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["site", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="site_group_unique")]

    def __str__(self) -> str:
        return self.name


class SiteStaff(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="isolation_sites")
    group = models.ForeignKey(SiteGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="members",
                              verbose_name=_("工作组"))
    is_leader = models.BooleanField(_("组长"), default=False)
    phone = models.CharField(_("电话"), max_length=40, blank=True)

    class Meta:
        ordering = ["site", "group__order", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "user"], name="site_staff_unique")]


class Room(models.Model):
    """One person or one household per room."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    number = models.CharField(_("房间号"), max_length=20)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    active = models.BooleanField(_("可用"), default=True)

    class Meta:
        ordering = ["site", "number"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="room_unique")]

    def __str__(self) -> str:
        return self.number


class GuardianTemplate(models.Model):
    """The guardian team of an area (五包一 / 四包一 / 六包一): the roles to fill when home isolation starts."""

    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("区域"))
    area_path = PathField(_("区域路径"))
    name = models.CharField(_("名称"), max_length=20, default="五包一")
    roles = models.JSONField(_("成员角色"), default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area"], name="guardian_template_per_area")]


class Mode(models.TextChoices):
    CENTRALIZED = "centralized", _("集中隔离")
    HOME = "home", _("居家隔离")


class EpisodeState(models.TextChoices):
    TRANSFER = "transfer", _("转运中")
    ACTIVE = "active", _("隔离中")
    RELEASE_PROPOSED = "release_proposed", _("待审批解除")
    RELEASED = "released", _("已解除")
    ENDED = "ended", _("已终止")


OPEN_STATES = (EpisodeState.TRANSFER, EpisodeState.ACTIVE, EpisodeState.RELEASE_PROPOSED)


class Episode(models.Model):
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="isolation_episodes",
                               verbose_name=_("隔离人员"))
    mode = models.CharField(_("方式"), max_length=12, choices=Mode.choices)
    state = models.CharField(_("状态"), max_length=20, choices=EpisodeState.choices, default=EpisodeState.ACTIVE)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="episodes",
                             verbose_name=_("隔离点"))
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="episodes",
                             verbose_name=_("房间"))
    household_id_at_admission = models.IntegerField(null=True, blank=True)
    # the plan's inputs (the plan itself always comes from fangkong.epi.rules.control_plan)
    ruleset_id = models.CharField(_("方案"), max_length=40)
    ruleset_version = models.PositiveIntegerField(default=0)
    ruleset_name = models.CharField(max_length=40, blank=True)
    category = models.CharField(_("人员类别"), max_length=32)
    category_name = models.CharField(max_length=60, blank=True)
    last_exposure = models.DateField(_("末次暴露日期"))
    isolation_start = models.DateField(_("开始隔离日期"))
    phase_index = models.PositiveSmallIntegerField(default=0)
    phase_kind = models.CharField(max_length=32, blank=True)
    rule_id = models.CharField(_("规则"), max_length=80, blank=True)
    # a cache of the plan's phase (for the bulk daily job and the work lists; rewritten from the plan)
    phase_start = models.DateField()
    phase_end = models.DateField(null=True, blank=True)
    test_dates = models.JSONField(default=list, blank=True)
    # evidence
    control_status = models.ForeignKey("epi.ControlStatus", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    contact = models.ForeignKey("epi.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    caller = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("联络员"))
    area_path = PathField(_("区域路径"))
    site_path = models.CharField(max_length=255, blank=True, db_index=True)
    admitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    admitted_at = models.DateTimeField(auto_now_add=True)
    # release (four eyes)
    release_proposed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    release_proposed_at = models.DateTimeField(null=True, blank=True)
    release_reasons = models.JSONField(default=list, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    released_on = models.DateField(_("解除日期"), null=True, blank=True)
    handover_area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("移交社区"))
    handover_text = models.TextField(_("移交说明"), blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("隔离")
        verbose_name_plural = _("隔离")
        ordering = ["-isolation_start", "-id"]
        indexes = [models.Index(fields=["state", "phase_end"], name="iso_episode_state_idx"),
                   models.Index(fields=["site", "state"], name="iso_episode_site_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(released_by=F("release_proposed_by")), name="iso_release_four_eyes"),
            models.CheckConstraint(condition=Q(mode="home", site__isnull=True) | Q(mode="centralized",
                                                                                    site__isnull=False),
                                   name="iso_episode_site_iff_centralized"),
            models.UniqueConstraint(fields=["person"], condition=Q(state__in=["transfer", "active",
                                                                               "release_proposed"]),
                                    name="iso_one_open_episode_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name if self.person_id else ''} {self.get_mode_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Transfer(models.Model):
    """Point-to-point transfer (点对点转运) from home to the site: nobody is lost on the way."""

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="transfer")
    pickup_place = models.CharField(_("接人地点"), max_length=300)
    pickup_at = models.DateTimeField(_("接人时间"))
    vehicle = models.CharField(_("车辆"), max_length=40)
    escort = models.CharField(_("随车人员"), max_length=120)
    arrived_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    received_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    flagged_at = models.DateTimeField(_("超时标记"), null=True, blank=True)


class TaskKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("随访/测温")
    TEST = "test", _("核酸检测")


class Slot(models.TextChoices):
    AM = "am", _("上午")
    PM = "pm", _("下午")
    DAY = "day", _("全天")


class TaskState(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
    MISSED = "missed", _("逾期未做")


class Outcome(models.TextChoices):
    SEEN_WELL = "seen_well", _("已见面，情况正常")
    SEEN_UNWELL = "seen_unwell", _("已见面，身体不适")
    NOT_REACHED = "not_reached", _("联系不上")
    NOT_DONE = "not_done", _("未做")


class TestResult(models.TextChoices):
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")


class Task(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("类型"), max_length=12, choices=TaskKind.choices)
    due_date = models.DateField(_("日期"))
    slot = models.CharField(_("时段"), max_length=4, choices=Slot.choices)
    test_day = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(_("状态"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN)
    area_path = PathField(_("区域路径"))
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    site_path = models.CharField(max_length=255, blank=True)
    # follow-up / daily check
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, blank=True)
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1, null=True, blank=True)
    symptoms = models.CharField(_("症状"), max_length=200, blank=True)
    # test
    result = models.CharField(_("检测结果"), max_length=10, choices=TestResult.choices, blank=True)
    sampled_on = models.DateField(_("采样日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    done_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    # the id a device sent with the recording (API): a retry with the same id changes nothing
    client_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["due_date", "slot", "id"]
        constraints = [models.UniqueConstraint(fields=["episode", "kind", "due_date", "slot"], name="iso_task_unique")]
        indexes = [models.Index(fields=["due_date", "area_path"], name="iso_task_day_area_idx"),
                   # a site's work list: one index range per list, already in the list's order (LIMIT stops early).
                   # Partial: home tasks (site NULL) must not use it, or a grid's list scans the city's home tasks.
                   models.Index(fields=["site", "due_date", "state", "kind", "slot", "episode"],
                                name="iso_task_site_list_idx2", condition=Q(site__isnull=False)),
                   models.Index(fields=["state", "due_date"], name="iso_task_state_day_idx")]


class NeedKind(models.TextChoices):
    MEDICINE = "medicine", _("药品")
    SUPPLIES = "supplies", _("生活物资")
    PHONE_CREDIT = "phone_credit", _("话费充值")
    MEDICAL = "medical", _("就医")
    ANXIETY = "anxiety", _("情绪疏导")
    OTHER = "other", _("其他")


class Need(models.Model):
    """A request raised during a follow-up or call, tracked to done."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="needs")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs")
    kind = models.CharField(_("类型"), max_length=16, choices=NeedKind.choices)
    text = models.CharField(_("内容"), max_length=300)
    done = models.BooleanField(_("已办结"), default=False)
    done_note = models.CharField(_("办理情况"), max_length=300, blank=True)
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    done_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    area_path = PathField(_("区域路径"))
    site_path = models.CharField(max_length=255, blank=True)
    call = models.ForeignKey("CallLog", null=True, blank=True, on_delete=models.SET_NULL, related_name="needs")
    client_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["done", "-raised_at", "-id"]


class CallSlot(models.TextChoices):
    AM = "am", _("上午")
    PM = "pm", _("下午")


class CallLog(models.Model):
    """One morning or evening call by the staff member responsible for a person (one row per call).

    A call is "made" for a slot when a row exists for (episode, date, slot), reached or not; a second call in
    the same slot (not reached, then called again) is another row.
    """

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="calls")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    caller = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("联络员"))
    called_at = models.DateTimeField(_("通话时间"))
    date = models.DateField(_("日期"))
    slot = models.CharField(_("时段"), max_length=4, choices=CallSlot.choices)
    reached = models.BooleanField(_("已接通"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    client_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    area_path = PathField(_("区域路径"))
    site_path = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("电话随访记录")
        verbose_name_plural = _("电话随访记录")
        ordering = ["-called_at", "-id"]
        indexes = [models.Index(fields=["site", "date", "slot"], name="iso_call_site_day_idx"),
                   models.Index(fields=["episode", "date"], name="iso_call_episode_day_idx")]


class Escalation(models.Model):
    """A missed follow-up, escalated to the community (and a transfer that did not arrive, to the site)."""

    task = models.OneToOneField(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="escalation")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="escalations")
    reason = models.CharField(_("原因"), max_length=300)
    area_path = PathField(_("区域路径"))
    site_path = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(_("已处理"), default=False)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_note = models.CharField(_("处理情况"), max_length=300, blank=True)

    class Meta:
        ordering = ["resolved", "-created_at", "-id"]


class GuardianMember(models.Model):
    """A member of the guardian team (五包一) of one home isolation."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="guardians")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="isolation_guarding")
    team_role = models.CharField(_("分工"), max_length=20)

    class Meta:
        ordering = ["episode", "id"]
        constraints = [models.UniqueConstraint(fields=["episode", "team_role"], name="guardian_role_unique")]


class OccupancySnapshot(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField()
    rooms = models.PositiveIntegerField(default=0)
    occupied_rooms = models.PositiveIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)
    area_path = PathField(_("区域路径"))

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["site", "date"], name="occupancy_unique")]
