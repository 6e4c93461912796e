"""django-import-export resources of the reference kinds: enterprises, departments, officials.

Each column has a Chinese header (what the templates carry) and an English alias that
is accepted too (`ALIASES`). Rows are matched on their key (credit code, department
name, username); a row equal to what is stored is skipped, so importing the same file
again changes nothing. Every row is validated like the admin's form (the models'
validators: the credit code's check digit, phone numbers, lengths) and by the widgets
here (an unknown department or leader, a role that does not exist), with messages in
the user's language.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from liaison import permissions, services
from liaison.models import ENTERPRISE_DETAILS, LEADER_ROLES, Department, Enterprise, Profile, Role
from liaison.validators import normalise_credit_code

from .files import text_problem

User = get_user_model()


class TextWidget(widgets.CharWidget):
    """Text that may not hold control characters (NUL) nor run past `max_length`."""

    def __init__(self, max_length: int | None = None, **kwargs):
        super().__init__(allow_blank=True, **kwargs)
        self.max_length = max_length

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        problem = text_problem(text, self.max_length)
        if problem:
            raise ValueError(problem)
        return text


class ChoiceWidget(widgets.Widget):
    """A choice by its value, its Chinese label or its English label."""

    def __init__(self, choices: type[TextChoices], default: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.choices, self.default = choices, default

    def clean(self, value, row=None, **kwargs):
        from django.utils import translation

        text = str(value or "").strip()
        if not text and self.default is not None:
            return self.default
        for choice in self.choices:
            labels = {choice.value, str(choice.label)}
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    labels.add(str(choice.label))
            if text in labels:
                return choice.value
        with translation.override(translation.get_language()):
            allowed = "、".join(str(c.label) for c in self.choices)
        raise ValueError(
            _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed}
        )

    def render(self, value, obj=None, **kwargs):
        try:
            return str(self.choices(value).label)
        except ValueError:
            return value or ""


class DepartmentWidget(widgets.ForeignKeyWidget):
    """A department by its full name or short name; an unknown one is an error."""

    def __init__(self, kind: str | None = None, **kwargs):
        super().__init__(Department, field="name", **kwargs)
        self.kind = kind

    def clean(self, value, row=None, **kwargs):
        name = str(value or "").strip()
        if not name:
            return None
        queryset = Department.objects.filter(name=name)
        department = queryset.first() or Department.objects.filter(short_name=name).first()
        if department is None:
            raise ValueError(
                _("Unknown department “%(name)s”: import the departments first.") % {"name": name}
            )
        if self.kind and department.kind != self.kind:
            raise ValueError(_("“%(name)s” is not a town or street.") % {"name": name})
        return department


class UserWidget(widgets.ForeignKeyWidget):
    """A user by username; `leader` requires a district or principal leader."""

    def __init__(self, leader: bool = False, **kwargs):
        super().__init__(User, field="username", **kwargs)
        self.leader = leader

    def clean(self, value, row=None, **kwargs):
        username = str(value or "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username).select_related("profile").first()
        if user is None:
            raise ValueError(
                _("Unknown user “%(name)s”: import the officials first.") % {"name": username}
            )
        if self.leader and not permissions.is_leader(user):
            raise ValueError(_("“%(name)s” is not a district leader.") % {"name": username})
        return user


class LinesWidget(TextWidget):
    """One item a line; in a cell, items may also be separated by ；or ;."""

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row=row, **kwargs)
        for separator in ("；", ";"):
            text = text.replace(separator, "\n")
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def column(attribute: str, header, widget=None, **kwargs) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=str(header), widget=widget, **kwargs)


class LiaisonResource(resources.ModelResource):
    """What every resource of this app shares: aliases, the key, the report's column names."""

    # English header -> the template's Chinese header.
    ALIASES: dict[str, str] = {}

    def header_of(self, name: str) -> str:
        field = self.fields.get(name)
        return str(field.column_name) if field is not None else name


class EnterpriseResource(LiaisonResource):
    credit_code = column("credit_code", "统一社会信用代码", TextWidget(18 * 4))
    name = column("name", "企业名称", TextWidget(200))
    industry = column("industry", "行业", TextWidget(100))
    town = column("town", "所在镇街", DepartmentWidget(kind=Department.Kind.TOWN))
    address = column("address", "地址", TextWidget(200))
    contact_person = column("contact_person", "联系人", TextWidget(50))
    contact_phone = column("contact_phone", "联系电话", TextWidget(30))
    email = column("email", "电子邮箱", TextWidget(254))

    ALIASES = {
        "credit code": "统一社会信用代码",
        "name": "企业名称",
        "industry": "行业",
        "town": "所在镇街",
        "address": "地址",
        "contact person": "联系人",
        "contact phone": "联系电话",
        "email": "电子邮箱",
    }

    class Meta:
        model = Enterprise
        # Each with its column (a Chinese header) and an English alias above.
        fields = ("credit_code", *ENTERPRISE_DETAILS)
        import_id_fields = ("credit_code",)
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        skip_html_diff = True

    def before_import_row(self, row, **kwargs):
        row["统一社会信用代码"] = normalise_credit_code(str(row.get("统一社会信用代码") or ""))

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The key matched no enterprise (or this one): the unique check's query per row
        # would say nothing the loader has not; a duplicate within the file is caught by
        # the service, and the database's unique constraint stays the backstop.
        super().validate_instance(instance, import_validation_errors, validate_unique=False)


class DepartmentResource(LiaisonResource):
    name = column("name", "部门名称", TextWidget(100))
    short_name = column("short_name", "简称", TextWidget(30))
    kind = column("kind", "类型", ChoiceWidget(Department.Kind, default=Department.Kind.DISTRICT))
    head_name = column("head_name", "主要负责人", TextWidget(50))
    head_phone = column("head_phone", "负责人电话", TextWidget(30))
    office_phone = column("office_phone", "办公电话", TextWidget(30))
    supervising_leader = column(
        "supervising_leader", "分管区领导（用户名）", UserWidget(leader=True)
    )
    guidance_services = column("guidance_services", "指导服务清单", LinesWidget(5000))
    display_order = column("display_order", "排序", widgets.IntegerWidget(), default=100)

    ALIASES = {
        "name": "部门名称",
        "short name": "简称",
        "kind": "类型",
        "head": "主要负责人",
        "head's name": "主要负责人",
        "head's phone": "负责人电话",
        "office phone": "办公电话",
        "supervising leader": "分管区领导（用户名）",
        "guidance services": "指导服务清单",
        "display order": "排序",
    }

    class Meta:
        model = Department
        fields = (
            "name",
            "short_name",
            "kind",
            "head_name",
            "head_phone",
            "office_phone",
            "supervising_leader",
            "guidance_services",
            "display_order",
        )
        import_id_fields = ("name",)
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        skip_html_diff = True

    def before_import_row(self, row, **kwargs):
        # A short name is required by the model: the full name, shortened, by default.
        if not str(row.get("简称") or "").strip():
            row["简称"] = str(row.get("部门名称") or "").strip()[:30]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        super().validate_instance(instance, import_validation_errors, validate_unique=False)


class OfficialResource(LiaisonResource):
    """A user and their role (liaison.Profile): officials, leaders, office, enterprise users.

    A new user gets no usable password: they set one through "forgot password" or the
    administrator sets it. Roles are given by liaison.services.profile_set_role, which
    keeps groups and staff access in step.
    """

    username = column("username", "用户名", TextWidget(150))
    first_name = column("first_name", "姓名", TextWidget(150))
    email = column("email", "电子邮箱", TextWidget(254))
    role = column("profile__role", "角色", ChoiceWidget(Role))
    department = column("profile__department", "所属部门", DepartmentWidget())
    enterprise = column("profile__enterprise__credit_code", "所属企业信用代码", TextWidget(18))
    title = column("profile__title", "职务", TextWidget(100))
    phone = column("profile__phone", "电话", TextWidget(30))

    ALIASES = {
        "username": "用户名",
        "name": "姓名",
        "email": "电子邮箱",
        "role": "角色",
        "department": "所属部门",
        "enterprise credit code": "所属企业信用代码",
        "job title": "职务",
        "title": "职务",
        "phone": "电话",
    }
    PROFILE_FIELDS = ("role", "department", "enterprise", "title", "phone")

    class Meta:
        model = User
        fields = (
            "username",
            "first_name",
            "email",
            "role",
            "department",
            "enterprise",
            "title",
            "phone",
        )
        import_id_fields = ("username",)
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        skip_html_diff = True

    def get_queryset(self):
        return User.objects.select_related("profile__department", "profile__enterprise")

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        profile = {}
        for name in ("username", "first_name", "email"):
            try:
                self.import_field(self.fields[name], instance, row, **kwargs)
            except ValueError as error:
                errors[name] = [str(error)]
        for name in self.PROFILE_FIELDS:
            try:
                profile[name] = self.fields[name].clean(row, **kwargs)
            except ValueError as error:
                errors[name] = [str(error)]
        if "enterprise" not in errors and profile.get("enterprise"):
            code = normalise_credit_code(profile["enterprise"])
            profile["enterprise"] = Enterprise.objects.filter(credit_code=code).first()
            if profile["enterprise"] is None:
                errors["enterprise"] = [
                    _("No enterprise has the credit code %(code)s: import the enterprises first.")
                    % {"code": code}
                ]
        else:
            profile["enterprise"] = None
        if not errors:
            try:
                Profile(user=instance, **profile).full_clean(exclude=["user"])
            except ValidationError as error:
                for message in error.messages:
                    errors.setdefault("role", []).append(message)
        instance._imported_profile = profile
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or original is None or original.pk is None:
            return False
        if any(
            getattr(instance, name) != getattr(original, name)
            for name in ("username", "first_name", "email")
        ):
            return False
        current = getattr(original, "profile", None)
        if current is None:
            return False
        wanted = instance._imported_profile
        return (
            current.role == wanted["role"]
            and current.department_id == getattr(wanted["department"], "pk", None)
            and current.enterprise_id == getattr(wanted["enterprise"], "pk", None)
            and current.title == wanted["title"]
            and current.phone == wanted["phone"]
        )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=[*errors, "password"], validate_unique=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create:
            instance.set_unusable_password()
        instance.save()
        services.profile_set_role(user=instance, **instance._imported_profile)


# Roles whose users are officials (a leader, the office, a department).
OFFICIAL_ROLES = (*LEADER_ROLES, Role.OFFICE, Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF)
