"""People and organisations (departments, enterprises, profiles) and the working-day calendar."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .validators import (
    FIRST_DATE,
    LAST_DATE,
    normalise_credit_code,
    validate_credit_code,
    validate_date_window,
    validate_phone,
)

# A department's published list of guidance services (characters): a few dozen lines.
GUIDANCE_SERVICES_MAX_LENGTH = 5000


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise user")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    OFFICE = "office", _("Liaison office")
    LEADER = "leader", _("District leader")
    PRINCIPAL = "principal", _("Principal leader")
    ADMIN = "admin", _("Administrator")


DEPARTMENT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD)
LEADER_ROLES = (Role.LEADER, Role.PRINCIPAL)


class Department(models.Model):
    class Kind(models.TextChoices):
        DISTRICT = "district", _("District department")
        TOWN = "town", _("Town or street")
        OTHER = "other", _("Other body")

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DISTRICT)
    head_name = models.CharField(_("head's name"), max_length=50, blank=True)
    head_phone = models.CharField(
        _("head's phone"), max_length=30, blank=True, validators=[validate_phone]
    )
    office_phone = models.CharField(
        _("office phone"), max_length=30, blank=True, validators=[validate_phone]
    )
    supervising_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervising district leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_departments",
        limit_choices_to={"profile__role__in": LEADER_ROLES},
    )
    guidance_services = models.TextField(
        _("guidance services"),
        blank=True,
        help_text=_("What the department offers enterprises, one service per line."),
        validators=[MaxLengthValidator(GUIDANCE_SERVICES_MAX_LENGTH)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    display_order = models.PositiveIntegerField(_("display order"), default=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["display_order", "name"]
        indexes = [models.Index(fields=["is_active", "display_order"], name="dept_active_order")]

    def __str__(self) -> str:
        return self.name

    def guidance_service_list(self) -> list[str]:
        return [line.strip() for line in self.guidance_services.splitlines() if line.strip()]


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        error_messages={"unique": _("An enterprise with this credit code is already registered.")},
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    town = models.ForeignKey(
        Department,
        verbose_name=_("town or street"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        limit_choices_to={"kind": Department.Kind.TOWN},
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=30, blank=True, validators=[validate_phone]
    )
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="enterprise_credit_code_format",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = normalise_credit_code(self.credit_code)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Normalise before the validators and the uniqueness check see the code.
        self.credit_code = normalise_credit_code(self.credit_code)
        super().clean_fields(exclude=exclude)


# What describes an enterprise besides its key, the credit code (set once, never changed):
# the fields the API's office client may set (api.services.enterprise_upsert and the
# EnterpriseSerializer) and the enterprise file's columns (imports.resources), from this one
# list so that they cannot disagree.
ENTERPRISE_DETAILS = (
    "name",
    "industry",
    "town",
    "address",
    "contact_person",
    "contact_phone",
    "email",
)


class Profile(models.Model):
    """A user's role, and the enterprise or department the role belongs to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email_notifications = models.BooleanField(_("email notifications"), default=True)
    # Another system's account for the API (api.ApiClient): it cannot sign in (no
    # password), is sent no messages and is not offered as a problem's handler.
    is_service_account = models.BooleanField(_("service account"), default=False, editable=False)
    language = models.CharField(
        _("language for e-mails"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="profile_role_valid"),
            # An enterprise user belongs to exactly one enterprise and no department;
            # department staff and heads to exactly one department; everyone else
            # (office, leaders, admin) to neither.
            models.CheckConstraint(
                condition=(
                    Q(role=Role.ENTERPRISE, enterprise__isnull=False, department__isnull=True)
                    | Q(
                        role__in=DEPARTMENT_ROLES, department__isnull=False, enterprise__isnull=True
                    )
                    | (
                        Q(role__in=[Role.OFFICE, Role.LEADER, Role.PRINCIPAL, Role.ADMIN])
                        & Q(enterprise__isnull=True, department__isnull=True)
                    )
                ),
                name="profile_role_matches_organisation",
                violation_error_message=_(
                    "An enterprise user needs an enterprise, department staff and heads "
                    "need a department, and other roles need neither."
                ),
            ),
        ]
        indexes = [models.Index(fields=["role"], name="profile_role")]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"


class CalendarDay(models.Model):
    """An exception to the Monday-Friday rule: a holiday on a weekday or a make-up working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up working day")

    class Source(models.TextChoices):
        PACKAGE = "chinesecalendar", _("chinesecalendar package")
        MANUAL = "manual", _("Entered by hand")

    date = models.DateField(_("date"), unique=True, validators=[validate_date_window])
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.MANUAL
    )

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "workday"]), name="calendarday_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """Whether a year's official holiday schedule has been entered and checked."""

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[MinValueValidator(FIRST_DATE.year), MaxValueValidator(LAST_DATE.year)],
    )
    confirmed = models.BooleanField(
        _("confirmed"),
        default=False,
        help_text=_(
            "Tick once the State Council's schedule for this year is entered. "
            "Deadlines reaching an unconfirmed year are provisional."
        ),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarRevision(models.Model):
    """One row per committed edit of the working-day calendar: the latest id is its revision.

    Written in the edit's own transaction (liaison.services.calendar_changed), under the
    calendar's advisory lock. Every stored deadline carries the revision it was computed
    with (Problem.calendar_revision): the deadline sweep acts only on those of the
    revision in force, so a deadline that a calendar edit has moved is never acted on
    before it is recomputed (issues.deadlines).
    """

    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar revision")
        verbose_name_plural = _("calendar revisions")

    def __str__(self) -> str:
        return f"{self.pk} {self.changed_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """The last time something that runs in the background did its work (liaison.readiness).

    One row per name, overwritten each time: "worker" by the heartbeat task a worker runs
    every LIAISON_HEARTBEAT_SECONDS, "deadline_sweep" by each completed sweep. /readyz
    reads their age. Not shown to users.
    """

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()
    # Who beat (a worker's host name): for the operator reading /readyz, never a secret.
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


class DistrictSettings(models.Model):
    """The district's own choices, one row (id 1), changed by the liaison office.

    Missing until the office first saves it: every choice then has its default.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    department_two_factor_required = models.BooleanField(
        _("department heads and staff must use two-factor sign-in"),
        default=True,
        help_text=_(
            "The office, leaders and administrators always must; enterprise users may choose."
        ),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("district settings")
        verbose_name_plural = _("district settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="districtsettings_singleton")]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
