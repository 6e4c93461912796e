"""The outcome lines of a problem's answer (减负); imported by issues.models."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# One line's bounds: above them the figure is a typing mistake (an extra digit or three),
# not an outcome. 1e11 yuan (1000 亿元) is more than the district's whole year of relief.
MAX_AMOUNT = Decimal("100000000000")
MAX_FIRMS = 100_000
MAX_JOBS = 1_000_000
MAX_LINES = 20
NOTE_MAX_LENGTH = 200


class ReliefKind(models.TextChoices):
    TAX_FEES = "tax_fees", _("Tax and fees")
    POWER = "power", _("Electricity")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    SUBSIDY = "subsidy", _("Subsidy")
    LAND = "land", _("Land")
    FINANCE = "finance", _("Financing")
    OTHER = "other", _("Other")


class ReliefOutcome(models.Model):
    """One line of burden relief recorded with a problem's answer.

    `counted_on` is the local date of the problem's first answer: the day the relief counts
    in (a later edit or a second answer does not move it to another year).
    """

    problem = models.ForeignKey(
        "issues.Problem",
        on_delete=models.CASCADE,
        related_name="relief_outcomes",
        verbose_name=_("problem"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReliefKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    firms = models.PositiveIntegerField(_("firms affected"), default=0)
    jobs = models.PositiveIntegerField(_("jobs affected"), default=0)
    note = models.CharField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)
    counted_on = models.DateField(_("counted on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("burden relief outcome")
        verbose_name_plural = _("burden relief outcomes")
        ordering = ["problem", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in ReliefKind]), name="relief_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, amount__lte=MAX_AMOUNT), name="relief_amount_bounded"
            ),
            models.CheckConstraint(
                condition=Q(firms__lte=MAX_FIRMS, jobs__lte=MAX_JOBS),
                name="relief_counts_bounded",
            ),
        ]
        indexes = [models.Index(fields=["counted_on"], name="relief_counted_on")]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind} {self.amount}"
