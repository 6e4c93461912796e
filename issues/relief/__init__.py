"""Burden relief (减负): the outcomes a lead department records when it answers a problem
(money saved or granted by kind, firms and jobs affected) and their totals.

models (ReliefOutcome, imported by issues.models), services (the writes), forms (the
formset of the answer form and of the edit page), views (the edit page), totals (the
aggregate the dashboard and the bulletin read: issues.selectors.relief_totals).
"""
