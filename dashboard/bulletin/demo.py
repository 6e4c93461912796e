"""The demo's twelve bulletins (seed_demo): the last twelve months, from the demo's problems.

Idempotent: a month that has its bulletin keeps it. The eleven older ones are published
by the office (without telling anyone: the demo's outbox stays the demo's own); the
latest is a draft with the office's foreword, waiting to be published.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from liaison import workdays
from liaison.models import Role

from .models import Bulletin
from .sections import previous_month
from .services import bulletin_generate, bulletin_publish, bulletin_set_foreword

MONTHS = 12
FOREWORD = (
    "本月各责任单位总体保持了按时办结的良好态势。请通报中点名的单位对照问题清单逐项整改，"
    "超期问题于五个工作日内办结；热点类别请主办单位举一反三，研究共性政策措施。"
)
OLDER_FOREWORD = "请各单位对照本月数据，查找差距，抓好整改。"


def seed_bulletins(district) -> None:
    now = timezone.now()
    office = get_user_model().objects.filter(profile__role=Role.OFFICE).order_by("username").first()
    month = previous_month(workdays.local_date(now))
    months = []
    for _ in range(MONTHS):
        months.append(month)
        month = previous_month(month)
    latest = months[0]
    for month in reversed(months):
        bulletin, created = bulletin_generate(month=month, by=office, now=now)
        if not created:
            continue
        district.created[Bulletin._meta.model_name] += 1
        if month == latest:
            bulletin_set_foreword(bulletin_id=bulletin.pk, by=office, foreword=FOREWORD)
        else:
            bulletin_publish(
                bulletin_id=bulletin.pk, by=office, foreword=OLDER_FOREWORD, notify=False
            )
