"""What the social-organization domain does about life events (civilaffairs.people.events),
connected in OrgsConfig.ready. Receivers run inside the people action's transaction."""

from .actions import do_move_representative


def on_persons_merged(sender, *, survivor, duplicate, acting_user, **kwargs):
    do_move_representative(survivor, duplicate, acting_user=acting_user)
