"""The audit trail's own record: reads of personal data, exports, downloads and sign-ins.

Changes to organisations, people, roles, the calendar and key tasks are django-auditlog's
LogEntry rows (audit.changes registers the models). Both tables are append-only: the
models refuse to change or delete a row, and on PostgreSQL a trigger (migration 0002)
refuses UPDATE and DELETE, except the purge of rows older than the retention
(audit.services.audit_purge) and a deleted user's or enterprise's id becoming NULL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Graded protection keeps logs at least six months: the trigger refuses to delete a
# younger row whatever the purge is told (liaison.settings refuses a shorter retention).
MIN_RETENTION_DAYS = 180

USERNAME_MAX_LENGTH = 150
LABEL_MAX_LENGTH = 200
PATH_MAX_LENGTH = 500
DETAIL_MAX_LENGTH = 500


class AppendOnlyError(Exception):
    """An audit record was about to be changed or deleted."""


class Action(models.TextChoices):
    VIEWED_PROBLEM = "viewed_problem", _("Viewed a problem")
    VIEWED_ENTERPRISE = "viewed_enterprise", _("Viewed an enterprise")
    VIEWED_CONTACT_LIST = "viewed_contact_list", _("Viewed a published list")
    PRINTED = "printed", _("Opened a print page")
    EXPORTED = "exported", _("Exported")
    DOWNLOADED_ATTACHMENT = "downloaded_attachment", _("Downloaded an attachment")
    SIGNED_IN = "signed_in", _("Signed in")
    SIGNED_OUT = "signed_out", _("Signed out")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    TWO_FACTOR_VERIFIED = "two_factor_verified", _("Two-factor check passed")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor check failed")
    TWO_FACTOR_DEVICE_RESET = "two_factor_device_reset", _("Two-factor device reset")


# The references that become NULL when their user or enterprise is deleted (on_delete).
NULLABLE_REFERENCES = ("actor", "enterprise")


class AccessEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if kwargs and all(k in NULLABLE_REFERENCES and v is None for k, v in kwargs.items()):
            return super().update(**kwargs)
        raise AppendOnlyError("audit records are append-only")

    def delete(self):
        raise AppendOnlyError("audit records are append-only; see audit.services.audit_purge")


class AccessEvent(models.Model):
    """One read of personal data, export, download or sign-in event. Never changed."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    # Kept as text too: the record still names the person after the account is deleted
    # (the id then becomes NULL, the one change the trigger allows).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=USERNAME_MAX_LENGTH, blank=True)
    role = models.CharField(_("role"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=LABEL_MAX_LENGTH, blank=True)
    enterprise = models.ForeignKey(
        "liaison.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("page"), max_length=PATH_MAX_LENGTH, blank=True)
    detail = models.CharField(_("detail"), max_length=DETAIL_MAX_LENGTH, blank=True)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("access records")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["at"], name="audit_event_at"),
            models.Index(fields=["actor", "at"], name="audit_event_actor_at"),
            models.Index(fields=["enterprise", "at"], name="audit_event_enterprise_at"),
            models.Index(fields=["action", "at"], name="audit_event_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records are append-only")
