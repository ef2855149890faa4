"""Every message and modal the bot sends, as pure functions of what it knows.

Nothing here talks to Slack or CrowdTwist: a listener gets a query, a page or an error and
asks this package for the Block Kit to send. Every piece of outside text (what a person typed,
what CrowdTwist answered) goes into mrkdwn through :func:`bot.blockkit.escape` only, and every
output stays within Block Kit's limits whatever the data (``tests/unit/test_cards.py``).

``purchases`` is the card, ``search`` what find and filter add to it, ``details`` the
Details modal, ``forms`` the lookup form, ``messages`` the short messages, ``points`` the
points line and ledger, ``receipts`` the receipts message and the receipt modal, ``share`` the
notes around Share, ``home`` the App Home tab, ``parts`` what they are all built from. Every
public name is here too, so ``from bot import cards; cards.purchase_card(...)`` reads as
before.
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
from bot.cards.points import (
    balance_blocks,
    points_failed_modal,
    points_loading_modal,
    points_modal,
    points_not_opened_message,
    points_not_shown_modal,
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
from bot.cards.receipts import (
    RECEIPTS_SHOWN,
    ReceiptRef,
    receipt_loading_modal,
    receipt_missing_modal,
    receipt_modal,
    receipt_not_opened_message,
    receipt_not_shown_modal,
    receipts_failed_message,
    receipts_message,
    receipts_unavailable_message,
    scanning_inactive_message,
)
from bot.cards.search import (
    RangeTotals,
    filtered_card,
    found_card,
    matches,
    not_found_message,
    progress_message,
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
    "RECEIPTS_SHOWN",
    "PurchaseRef",
    "RangeTotals",
    "ReceiptRef",
    "balance_blocks",
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
    "filtered_card",
    "found_card",
    "help_message",
    "home_view",
    "internal_error_message",
    "lookup_modal",
    "matches",
    "no_identifier_message",
    "not_found_message",
    "page_count",
    "page_failed_message",
    "points_failed_modal",
    "points_loading_modal",
    "points_modal",
    "points_not_opened_message",
    "points_not_shown_modal",
    "points_over_cap",
    "progress_message",
    "purchase_card",
    "receipt_loading_modal",
    "receipt_missing_modal",
    "receipt_modal",
    "receipt_not_opened_message",
    "receipt_not_shown_modal",
    "receipts_failed_message",
    "receipts_message",
    "receipts_unavailable_message",
    "scanning_inactive_message",
    "share_refused_message",
    "shared_by_user",
    "shared_note",
    "usage_error_message",
    "with_invite_hint",
]
