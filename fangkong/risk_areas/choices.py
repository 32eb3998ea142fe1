from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskAreaStatus(models.TextChoices):
    PROPOSED = "proposed", _("拟划定")
    ACTIVE = "active", _("生效中")
    LIFTED = "lifted", _("已解除")


class MemberKind(models.TextChoices):
    NODE = "node", _("区域节点")
    FLOOR = "floor", _("楼层")
    ROOM = "room", _("房间")
    BOUNDARY = "boundary", _("文字边界")
    REST = "rest", _("其他区域（除外）")


class ChangeKind(models.TextChoices):
    DESIGNATE = "designate", _("划定")
    DOWNGRADE = "downgrade", _("降级")
    UPGRADE = "upgrade", _("升级")
    LIFT = "lift", _("解除")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING_APPROVAL = "pending_approval", _("待审批")
    PUBLISHED = "published", _("已发布")


class EventKind(models.TextChoices):
    PROPOSED = "proposed", _("拟划定")
    DESIGNATED = "designated", _("划定")
    DOWNGRADED = "downgraded", _("降级")
    UPGRADED = "upgraded", _("升级")
    LIFTED = "lifted", _("解除")
    EDITED = "edited", _("修改")


CHANGE_EVENT = {
    ChangeKind.DESIGNATE: EventKind.DESIGNATED,
    ChangeKind.DOWNGRADE: EventKind.DOWNGRADED,
    ChangeKind.UPGRADE: EventKind.UPGRADED,
    ChangeKind.LIFT: EventKind.LIFTED,
}
