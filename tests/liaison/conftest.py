"""A small district for the core tests: a town, departments, an enterprise, a user per role."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from liaison.models import Department, Enterprise, Role
from liaison.services import profile_set_role
from liaison.validators import credit_code_check_char

PASSWORD = "Liaison-test-password-7"

# Usernames of the personas, by role; "norole" has an account but no profile yet.
USERNAMES = {
    Role.ENTERPRISE: "hefeng",
    Role.DEPARTMENT_STAFF: "eco-staff",
    Role.DEPARTMENT_HEAD: "eco-head",
    Role.OFFICE: "office",
    Role.LEADER: "leader",
    Role.PRINCIPAL: "principal",
    Role.ADMIN: "admin",
    None: "norole",
}


def credit_code(serial: int) -> str:
    """A valid unified social credit code (GB 32100-2015), distinct for each serial number."""
    first17 = f"91330402MA{serial:07d}"
    return first17 + credit_code_check_char(first17)


@dataclass
class District:
    town: Department
    department: Department
    other_department: Department
    enterprise: Enterprise
    users: dict = field(default_factory=dict)

    def user(self, role):
        return self.users[role]


def build_district() -> District:
    """Create the organisations and one user per role (and one without a role)."""
    User = get_user_model()

    def make_user(role, first_name: str, last_name: str, **profile):
        user = User.objects.create_user(
            username=USERNAMES[role],
            password=PASSWORD,
            first_name=first_name,
            last_name=last_name,
        )
        if role is not None:
            profile_set_role(user=user, role=role, **profile)
        return user

    leader = make_user(Role.LEADER, "志强", "李")
    principal = make_user(Role.PRINCIPAL, "海峰", "赵")
    town = Department.objects.create(
        name="梅湾街道办事处",
        short_name="梅湾街道",
        kind=Department.Kind.TOWN,
        head_name="王建国",
        head_phone="13800000001",
        office_phone="0573-82000001",
        supervising_leader=leader,
        display_order=20,
    )
    department = Department.objects.create(
        name="区生态环境分局",
        short_name="生态环境",
        kind=Department.Kind.DISTRICT,
        head_name="陈立新",
        head_phone="13800000002",
        office_phone="0573-82000002",
        supervising_leader=leader,
        guidance_services="危险废物处置咨询\n环评审批指导\n\n排污许可证办理",
        display_order=10,
    )
    other_department = Department.objects.create(
        name="区人力资源和社会保障局",
        short_name="人社",
        head_name="周敏",
        head_phone="13800000003",
        supervising_leader=principal,
    )
    enterprise = Enterprise.objects.create(
        name="嘉兴禾丰涂装有限公司",
        credit_code=credit_code(1),
        industry="金属表面处理",
        town=town,
        address="梅湾街道工业园区 8 号",
        contact_person="刘洋",
        contact_phone="13900000001",
        email="liuyang@hefeng.example",
    )
    district = District(
        town=town, department=department, other_department=other_department, enterprise=enterprise
    )
    district.users = {
        Role.LEADER: leader,
        Role.PRINCIPAL: principal,
        Role.ENTERPRISE: make_user(Role.ENTERPRISE, "洋", "刘", enterprise=enterprise),
        Role.DEPARTMENT_STAFF: make_user(
            Role.DEPARTMENT_STAFF, "小红", "张", department=department
        ),
        Role.DEPARTMENT_HEAD: make_user(Role.DEPARTMENT_HEAD, "立新", "陈", department=department),
        Role.OFFICE: make_user(Role.OFFICE, "静", "孙"),
        Role.ADMIN: make_user(Role.ADMIN, "Ada", "Admin"),
        None: make_user(None, "", ""),
    }
    return district


@pytest.fixture
def district(db) -> District:
    return build_district()
