"""Every message and modal the bot sends, as pure functions of what it knows.

Nothing here talks to Slack or CrowdTwist: a listener gets a query, a page or an error and
asks this package for the Block Kit to send. Every piece of outside text (what a person typed,
what CrowdTwist answered) goes into mrkdwn through :func:`bot.blockkit.escape` only, and every
output stays within Block Kit's limits whatever the data (``tests/unit/test_cards.py``).

``purchases`` is the card, ``details`` the Details modal, ``forms`` the lookup form,
``messages`` the short messages, ``share`` the notes around Share, ``home`` the App
Home tab, ``parts`` what they are all built from. Every public name is
here too, so ``from bot import cards; cards.purchase_card(...)`` reads as before.
"""

from bot.cards.details import (
    detail_error_modal,
    detail_loading_modal,
    detail_modal,
    detail_not_shown_modal,
    details_not_opened_message,
)
from bot.cards.forms import lookup_modal
from bot.cards.home import HOME_LOOKUPS_SHOWN, home_view
from bot.cards.messages import (
    choose_member_message,
    crowdtwist_error_message,
    denied_message,
    export_done_message,
    export_failed_message,
    export_started_message,
    help_message,
    internal_error_message,
    no_identifier_message,
    page_failed_message,
    usage_error_message,
)
from bot.cards.purchases import (
    MAX_PURCHASE_ID,
    PAGE_SIZE,
    PurchaseRef,
    page_count,
    points_over_cap,
    purchase_card,
    shared_by_user,
)
from bot.cards.share import (
    BOT_NOT_IN_CONVERSATION,
    share_refused_message,
    shared_note,
    with_invite_hint,
)

__all__ = [
    "BOT_NOT_IN_CONVERSATION",
    "HOME_LOOKUPS_SHOWN",
    "MAX_PURCHASE_ID",
    "PAGE_SIZE",
    "PurchaseRef",
    "choose_member_message",
    "crowdtwist_error_message",
    "denied_message",
    "detail_error_modal",
    "detail_loading_modal",
    "detail_modal",
    "detail_not_shown_modal",
    "details_not_opened_message",
    "export_done_message",
    "export_failed_message",
    "export_started_message",
    "help_message",
    "home_view",
    "internal_error_message",
    "lookup_modal",
    "no_identifier_message",
    "page_count",
    "page_failed_message",
    "points_over_cap",
    "purchase_card",
    "share_refused_message",
    "shared_by_user",
    "shared_note",
    "usage_error_message",
    "with_invite_hint",
]
