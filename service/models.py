"""The service side (issue 16): commissioners assigned to enterprises, and visits to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Department, Enterprise

PURPOSE_MAX_LENGTH = 200
FINDINGS_MAX_LENGTH = 5000


class CommissionerAssignment(models.Model):
    """An official serves an enterprise as its commissioner (助企专员); one at a time."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="commissioner_assignments",
    )
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("commissioner"),
        on_delete=models.PROTECT,
        related_name="service_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    active = models.BooleanField(_("active"), default=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("commissioner assignment")
        verbose_name_plural = _("commissioner assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(active=True),
                name="service_one_active_commissioner",
            )
        ]
        indexes = [
            models.Index(
                fields=["commissioner", "enterprise"],
                condition=Q(active=True),
                name="service_active_by_commissioner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} – {self.commissioner}"


class Visit(models.Model):
    """A visit to an enterprise: planned, or done with what was found."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("date of the visit"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DONE
    )
    officials = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officials who went"),
        related_name="visits_made",
    )
    # A district leader who went: counted as a leader's visit.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader who went"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits_led",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    purpose = models.CharField(_("purpose"), max_length=PURPOSE_MAX_LENGTH)
    findings = models.TextField(_("what was found"), blank=True)
    follow_up_on = models.DateField(_("follow-up visit on"), null=True, blank=True)
    follow_up_reminded_on = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="visits_recorded",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # One key per rendered form: a double-submitted form records one visit.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["planned", "done"]), name="service_visit_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(follow_up_on__isnull=True) | Q(follow_up_on__gt=F("visited_on")),
                name="service_visit_follow_up_after_visit",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "-visited_on"], name="service_visit_enterprise"),
            models.Index(
                fields=["follow_up_on"],
                condition=Q(follow_up_on__isnull=False, follow_up_reminded_on__isnull=True),
                name="service_visit_follow_up_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.visited_on:%Y-%m-%d}"


class VisitProblem(models.Model):
    """A problem raised from a visit on the enterprise's behalf (issues knows nothing of visits)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="problem_links")
    problem = models.OneToOneField(
        "issues.Problem", on_delete=models.PROTECT, related_name="visit_link"
    )

    class Meta:
        verbose_name = _("problem raised at a visit")
        verbose_name_plural = _("problems raised at visits")

    def __str__(self) -> str:
        return f"{self.visit} → {self.problem_id}"
