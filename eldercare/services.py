"""The domain's service codes, in a module of their own: the actions open cases with them and
the workflow declares them, and the workflow's follow-ups call the actions, so neither of those
two may import the other for a constant."""

CAREPLAN = "eldercare.careplan"
AGE_ALLOWANCE = "eldercare.age_allowance"
URGENT_VISIT = "eldercare.urgent_visit"
