"""Demo commissioners and visits (a step of seed_demo): every enterprise gets a
commissioner (the staff member of a department, in turn), and a year of visits, some
with a district leader; problems were raised at a few recent ones. A district that
already has visits is left as it is, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from issues import notifications, workflow
from issues.demo import demo_appeal_type
from issues.demo_topics import TopicPicker
from issues.models import Category, Channel
from liaison import workdays
from liaison.models import Role

from .models import CommissionerAssignment, Visit, VisitProblem

PURPOSES = (
    "了解企业生产经营情况",
    "宣讲惠企政策",
    "回访问题办理情况",
    "调研用工需求",
    "安全生产走访",
    "了解项目建设进度",
)
FINDINGS = (
    "企业生产经营正常，订单充足，反映一线用工缺口较大。",
    "企业对惠企政策兑现情况满意，希望简化申报材料。",
    "企业反映厂区周边道路破损，大货车进出不便。",
    "企业计划扩产，希望了解用地和环评审批流程。",
    "企业反映融资成本偏高，希望对接银行低息贷款。",
    "企业前期反映的问题已解决，表示满意。",
)
# How many of the most recent visits raised a problem.
RAISED_AT = 4


def seed_visits(district) -> None:
    """Commissioners for every demo enterprise, and a year of visits."""
    now = timezone.now()
    today = workdays.local_date(now)
    users = list(district.users.values())
    profiles = {u.pk: getattr(u, "profile", None) for u in users}
    staff = [u for u in users if profiles[u.pk] and profiles[u.pk].role == Role.DEPARTMENT_STAFF]
    leaders = [u for u in users if profiles[u.pk] and profiles[u.pk].role == Role.LEADER]
    office = next((u for u in users if profiles[u.pk] and profiles[u.pk].role == Role.OFFICE), None)
    enterprises = list(district.enterprises.values())
    if not staff or not enterprises or office is None:
        return
    with transaction.atomic():
        served = set(
            CommissionerAssignment.objects.filter(active=True).values_list(
                "enterprise_id", flat=True
            )
        )
        new = [
            CommissionerAssignment(
                enterprise=enterprise,
                commissioner=staff[i % len(staff)],
                assigned_by=office,
                assigned_at=now - dt.timedelta(days=365),
            )
            for i, enterprise in enumerate(enterprises)
            if enterprise.pk not in served
        ]
        if new:
            CommissionerAssignment.objects.bulk_create(new)
            district.created["commissionerassignment"] += len(new)
        if Visit.objects.exists():
            return
        commissioners = dict(
            CommissionerAssignment.objects.filter(active=True).values_list(
                "enterprise_id", "commissioner_id"
            )
        )
        departments = {u.pk: profiles[u.pk].department_id for u in staff}
        rng = random.Random(16)
        visits = []
        for enterprise in enterprises:
            commissioner_id = commissioners[enterprise.pk]
            # Some enterprises were not visited for months: the statistics list them.
            count = rng.choice((0, 1, 2, 3, 4))
            for n in range(count):
                visited_on = today - dt.timedelta(days=rng.randint(2, 360))
                visits.append(
                    Visit(
                        enterprise=enterprise,
                        visited_on=visited_on,
                        status=Visit.Status.DONE,
                        leader=rng.choice(leaders) if leaders and rng.random() < 0.25 else None,
                        department_id=departments.get(commissioner_id),
                        purpose=rng.choice(PURPOSES),
                        findings=rng.choice(FINDINGS),
                        follow_up_on=today + dt.timedelta(days=rng.randint(3, 20))
                        if n == 0 and rng.random() < 0.2
                        else None,
                        created_by_id=commissioner_id,
                        created_at=now,
                    )
                )
            if rng.random() < 0.2:  # a planned visit in the coming weeks
                visits.append(
                    Visit(
                        enterprise=enterprise,
                        visited_on=today + dt.timedelta(days=rng.randint(1, 14)),
                        status=Visit.Status.PLANNED,
                        department_id=departments.get(commissioner_id),
                        purpose=rng.choice(PURPOSES),
                        created_by_id=commissioner_id,
                        created_at=now,
                    )
                )
        Visit.objects.bulk_create(visits)
        Visit.officials.through.objects.bulk_create(
            [Visit.officials.through(visit_id=v.pk, user_id=v.created_by_id) for v in visits]
        )
        district.created["visit"] += len(visits)
        _raise_problems(district, visits)


def _raise_problems(district, visits: list[Visit]) -> None:
    """A few problems raised at the most recent visits (in triage for the office), on
    topics that fit each enterprise (issues.demo_topics)."""
    categories = {c.name_zh: c for c in Category.objects.all()}
    picker = TopicPicker.from_database(district, seed=16)
    recent = sorted(
        (v for v in visits if v.status == Visit.Status.DONE), key=lambda v: v.visited_on
    )[-RAISED_AT:]
    User = get_user_model()
    with notifications.suppressed():
        for index, visit in enumerate(recent):
            try:
                raised = picker.pick(visit.enterprise)
            except LookupError:
                continue
            actor = User.objects.select_related("profile").get(pk=visit.created_by_id)
            problem = workflow.problem_submit(
                actor=actor,
                enterprise=visit.enterprise,
                title=raised.title,
                description=raised.description,
                category=categories[raised.category],
                channel=Channel.VISIT,
                appeal_type=demo_appeal_type(raised.title, raised.description, index),
            )
            VisitProblem.objects.create(visit=visit, problem=problem)
