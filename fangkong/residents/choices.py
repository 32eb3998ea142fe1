from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.residents.idnumbers import ID_TYPE_LABELS, IdType

ID_TYPE_CHOICES = [(t.value, ID_TYPE_LABELS[t.value]) for t in IdType]


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "U", _("未知")


class ResidenceType(models.TextChoices):
    RESIDENT = "resident", _("常住")
    FLOATING = "floating", _("流动")
    REGISTERED = "registered", _("户籍")


class Relationship(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    OTHER_RELATIVE = "other_relative", _("其他亲属")
    TENANT = "tenant", _("租户")
    OTHER = "other", _("其他")


class CareTagKind(models.TextChoices):
    LIVES_ALONE_ELDERLY = "lives_alone_elderly", _("独居老人")
    PREGNANT = "pregnant", _("孕妇")
    INFANT = "infant", _("婴幼儿")
    CHRONIC_ILLNESS = "chronic_illness", _("慢病/定期就医")
    DISABLED = "disabled", _("残障")
    REDUCED_MOBILITY = "reduced_mobility", _("行动不便")
