"""What the ledger does on a life event (people.events)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def stop_on_death(sender, *, person, date_of_death, acting_user, **kwargs):
    """A death stops every benefit of the person in every program: no month after the month
    of death is paid (the month itself is owed)."""
    from .actions import do_stop_for_person

    with translation.override(settings.LANGUAGE_CODE):  # kept on the record in the site's language
        reason = _("died on %(date)s") % {"date": date_of_death.isoformat()}
    do_stop_for_person(person, acting_user=acting_user, on=date_of_death, reason=reason)
