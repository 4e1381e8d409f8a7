"""What the member web app's navigation and home page show, registered by each app.

An app adds its member pages in its `AppConfig.ready()`:

    from apps.portal import nav
    nav.register_item(nav.NavItem("classes", _("Classes"), "member-classes", "calendar", 20))
    nav.register_card(nav.HomeCard("classes", "bookings/member/_home_card.html", 20, context))

so the shell never imports the apps that plug into it. The bottom bar shows the `primary`
items in order (at most `PRIMARY_MAX`, the rest move to "More"); "More" lists them all.
A home card is a template included on the home page with what its `context(member)`
returns (a read through the app's own selectors); returning None hides the card. A page
marked for offline use (`X-Offline-Copy: 1`) registers the static files it needs with
`nav.register_offline_asset("<app>/<file>.js")`, so they are there without a connection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PRIMARY_MAX = 4  # plus "More": five targets fit a 360 px bar at 44 px each with labels


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # lazy translation
    url_name: str
    icon: str  # a symbol in templates/portal/_icons.html
    order: int
    primary: bool = False
    # The url names that mark this item as the current page (default: url_name's prefix).
    prefix: str = ""
    # A count shown on the item (unread notifications): badge(member) -> int, one cheap read.
    badge: Callable[..., int] | None = None


@dataclass(frozen=True)
class HomeCard:
    key: str
    template: str
    order: int
    context: Callable[..., dict | None]


_items: dict[str, NavItem] = {}
_cards: dict[str, HomeCard] = {}
_offline_assets: dict[str, None] = {}  # an ordered set


def register_item(item: NavItem) -> None:
    _items[item.key] = item  # by key: a second ready() (tests, autoreload) replaces


def register_card(card: HomeCard) -> None:
    _cards[card.key] = card


def register_offline_asset(path: str) -> None:
    """A static file (path as for `{% static %}`) that a page kept for offline use needs:
    the service worker keeps it with the shell (the pass's script)."""
    _offline_assets[path] = None


def offline_assets() -> list[str]:
    return list(_offline_assets)


def unregister(key: str) -> None:
    """Take an item and a card of this key away (tests that register their own)."""
    _items.pop(key, None)
    _cards.pop(key, None)


def items() -> list[NavItem]:
    return sorted(_items.values(), key=lambda i: (i.order, i.key))


def primary_items() -> list[NavItem]:
    return [i for i in items() if i.primary][:PRIMARY_MAX]


def cards() -> list[HomeCard]:
    return sorted(_cards.values(), key=lambda c: (c.order, c.key))
