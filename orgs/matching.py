"""How offers are ranked for a need (pure functions; the actions do the locking and writing).

An offer qualifies when it is the same category and unit, still open, not past its date, and in
the same province. Qualifying offers are ranked by:

1. region distance: how many levels of the division code the need's and the offer's regions
   share (province, prefecture, county, township, village) — goods from the same township
   beat goods from across the city;
2. the share of the need's open quantity the offer can cover — one delivery beats several;
3. among offers that cover it all, the smallest (best fit: large offers stay for large needs);
4. the offer that expires first (use it before it lapses), then the oldest.

Urgency orders the needs: a matching run serves the most urgent need first, then the earliest
deadline, so scarce goods go where they are needed most.
"""

import datetime as dt

from civilaffairs.people.models import Region

LEVEL_DIGITS = (2, 4, 6, 9, 12)
LEVEL_NAMES = ("province", "prefecture", "county", "township", "village")


def shared_depth(a: str, b: str) -> int:
    """How many levels of the division tree two region codes share (0 to 5)."""
    pa, pb = Region.prefix_of(a), Region.prefix_of(b)
    depth = 0
    for n in LEVEL_DIGITS:
        if len(pa) < n or len(pb) < n or pa[:n] != pb[:n]:
            break
        depth += 1
    return depth


def rank_key(need_region: str, need_open: int, offer) -> tuple:
    depth = shared_depth(need_region, offer.region_id)
    available = offer.quantity - offer.committed
    cover = min(available, need_open)
    full = cover >= need_open
    return (
        -depth,
        -cover,
        available if full else 0,
        offer.available_until or dt.date.max,
        offer.created_at,
        offer.pk,
    )


def score(need_region: str, need_open: int, offer) -> dict:
    """What the needing side is shown about why this offer was proposed."""
    depth = shared_depth(need_region, offer.region_id)
    available = offer.quantity - offer.committed
    return {
        "shared_levels": depth,
        "nearest_common": LEVEL_NAMES[depth - 1] if depth else "",
        "covers": min(available, need_open),
        "need_open": need_open,
    }


def rank(need_region: str, need_open: int, offers) -> list:
    return sorted(offers, key=lambda o: rank_key(need_region, need_open, o))
