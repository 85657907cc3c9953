"""The domain's service codes, in a module of their own: the app config registers them and the
actions open cases with them, and neither should import the other (the app config imports the
workflow, whose step handlers call the actions)."""

ESTABLISH = "orgs.establish"
CHANGE = "orgs.change"
DEREGISTER = "orgs.deregister"
ANNUAL_REPORT = "orgs.annual_report"
REGISTRATION_SERVICES = (ESTABLISH, CHANGE, DEREGISTER)
ALL_SERVICES = (*REGISTRATION_SERVICES, ANNUAL_REPORT)
