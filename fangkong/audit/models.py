"""The append-only audit trail: every write (Event) and every read of personal data or export (Access).

Rows are never updated or deleted through the product: the model refuses it, and database triggers
(migration 0002) refuse it below the ORM too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.fields import PathField


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit records cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit records cannot be deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be deleted")


class Event(AppendOnlyModel):
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象名称"), max_length=200, blank=True)
    area_path = PathField(_("区域"), blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    client_ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    request_id = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("操作日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class AccessKind(models.TextChoices):
    READ = "read", _("查看")
    REVEAL = "reveal", _("查看完整信息")
    EXPORT = "export", _("导出")
    SEARCH = "search", _("查询")


class Access(AppendOnlyModel):
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", verbose_name=_("访问人"),
    )
    actor_name = models.CharField(_("访问人"), max_length=150, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=AccessKind.choices)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象名称"), max_length=200, blank=True)
    area_path = PathField(_("区域"), blank=True)
    detail = models.JSONField(_("详情"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    request_id = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("访问日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_access_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.kind} {self.object_repr}"
