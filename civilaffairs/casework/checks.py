"""Start-up checks (Django's system check framework, run by runserver, migrate, check and the
test runner): every service has a workflow the engine can run, and every workflow a service."""

from django.core import checks

from .registry import all_services
from .workflow import all_workflows


@checks.register()
def services_and_workflows(app_configs=None, **kwargs):
    errors = []
    workflows = all_workflows()
    services = {s.code for s in all_services()}
    for code in sorted(services - set(workflows)):
        errors.append(checks.Error(f"service {code} has no workflow", id="casework.E001"))
    for code in sorted(set(workflows) - services):
        errors.append(
            checks.Error(f"workflow {code} belongs to no registered service", id="casework.E002")
        )
    for code, wf in sorted(workflows.items()):
        try:
            wf.check()
        except ValueError as exc:
            errors.append(checks.Error(str(exc), id="casework.E003"))
        if "submit" not in wf.transitions:
            errors.append(checks.Error(f"{code} cannot be submitted", id="casework.E004"))
    return errors
