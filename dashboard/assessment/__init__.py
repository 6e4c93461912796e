"""Department assessment (考核, issue 17 item 3): figures per month and lead department
through issues.metrics, the office's weighted and versioned scheme, score and ranking,
months frozen at their end, explicit and logged recalculation, drill-down, .xlsx, print.
The months not frozen yet are counted ahead by a beat task (ProvisionalMonth, every
LIAISON_ASSESSMENT_REFRESH_SECONDS): their ranking page reads the stored counts.

models.py (data), figures.py (counting and scoring), services.py (writes), selectors.py
(reads; `frozen_ranking(month)` for other pages such as the monthly bulletin), views.py,
export.py (.xlsx), demo.py (a year of frozen months for seed_demo).
"""
