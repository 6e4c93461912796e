"""English dates as the district's English pages write them: 6 Dec 2026, 6 Dec 2026, 14:30.

Day before month, 24-hour clock (Django's own en is US style: "Dec. 6, 2026, 2:30 p.m.").
Only the formats Liaison prints; everything else (input formats, numbers) is Django's.
"""

DATE_FORMAT = "j M Y"  # 6 Dec 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j M Y, H:i"  # 6 Dec 2026, 14:30
SHORT_DATE_FORMAT = "j M Y"  # 6 Dec 2026
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 6 Dec 2026, 14:30
MONTH_DAY_FORMAT = "j M"  # 6 Dec
YEAR_MONTH_FORMAT = "M Y"  # Dec 2026

# Not a Django setting: a deadline is read with its weekday (liaison.formats.deadline_date).
DEADLINE_DATE_FORMAT = "D j M Y"  # Sun 6 Dec 2026
