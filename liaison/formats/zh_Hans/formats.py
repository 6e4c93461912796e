"""Chinese dates as people write them: 2026年12月6日, 2026年12月6日 14:30.

Only the formats Liaison prints; everything else (input formats, numbers) is Django's.
"""

DATE_FORMAT = "Y年n月j日"  # 2026年12月6日
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年12月6日 14:30
SHORT_DATE_FORMAT = "Y年n月j日"  # 2026年12月6日 (Django's own zh_Hans is the same)
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年12月6日 14:30
MONTH_DAY_FORMAT = "n月j日"  # 12月6日 (Django's "m月j日" gives 09月5日)
YEAR_MONTH_FORMAT = "Y年n月"  # 2026年12月

# Not a Django setting: a deadline is read with its weekday (liaison.formats.deadline_date).
DEADLINE_DATE_FORMAT = "Y年n月j日（l）"  # 2026年12月6日（星期日）
