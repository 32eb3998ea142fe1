from django.db import models
from django.utils.translation import gettext_lazy as _


class RoundStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class Mode(models.TextChoices):
    SINGLE = "single", _("单管单检")
    HOUSEHOLD = "household", _("一户一管")
    POOL = "pool", _("混管")


CAPACITIES = (1, 5, 10, 20)


class TubeStatus(models.TextChoices):
    OPEN = "open", _("采样中")
    CLOSED = "closed", _("已封管")


class Result(models.TextChoices):
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")
    INVALID = "invalid", _("无效（需重采）")


class PersonState(models.TextChoices):
    """A sampled person's state in a round, derived from their current tube."""

    PENDING = "pending", _("待出结果")
    NEGATIVE = "negative", _("阴性")
    POOL_POSITIVE = "pool_positive", _("混管可疑阳性")
    POSITIVE = "positive", _("阳性")
    INVALID = "invalid", _("需重采")


class ExemptReason(models.TextChoices):
    INFANT = "infant", _("婴幼儿")
    ISOLATION = "isolation", _("隔离管控人员（另行检测）")


class RecallStatus(models.TextChoices):
    OPEN = "open", _("待单采")
    SETTLED = "settled", _("已排除/已确认")


class RecallOutcome(models.TextChoices):
    NONE = "", _("—")
    NEGATIVE = "negative", _("单采阴性")
    POSITIVE = "positive", _("单采阳性")


class BoxStatus(models.TextChoices):
    PACKING = "packing", _("装箱中")
    IN_TRANSIT = "in_transit", _("转运中")
    RECEIVED = "received", _("实验室已接收")
