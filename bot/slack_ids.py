"""Identifiers shared between what the bot sends to Slack and what it listens for.

The first group is part of the contract (``docs/contract.md``) and must not drift.
"""

from typing import Final

# The contract.
COMMAND: Final = "/purchases"
SHORTCUT_CALLBACK_ID: Final = "purchase_history"
NEXT_PAGE_ACTION: Final = "purchases_next_page"
PREV_PAGE_ACTION: Final = "purchases_prev_page"

# Ours: stable, but free to grow.
DETAILS_ACTION_PREFIX: Final = "purchase_details"
EXPORT_ACTION: Final = "purchases_export_csv"
CHOOSE_MEMBER_ACTION_PREFIX: Final = "purchases_choose_member"
OPEN_FORM_ACTION: Final = "purchases_open_form"
SHARE_ACTION: Final = "purchases_share"
HOME_LOOKUP_ACTION_PREFIX: Final = "purchases_home_lookup"
HOME_EVENT: Final = "app_home_opened"
RECEIPTS_ACTION: Final = "purchases_receipts"
RECEIPTS_NEXT_PAGE_ACTION: Final = "purchases_receipts_next_page"
RECEIPTS_PREV_PAGE_ACTION: Final = "purchases_receipts_prev_page"
RECEIPT_VIEW_ACTION_PREFIX: Final = "purchases_receipt_view"
SHARED_BY_BLOCK_PREFIX: Final = "purchases_shared_by_"
"""A shared copy's context block is ``purchases_shared_by_<user id>``, so paging keeps the name."""

LOOKUP_VIEW_CALLBACK_ID: Final = "purchases_lookup"
DETAIL_VIEW_CALLBACK_ID: Final = "purchase_detail"
RECEIPT_VIEW_CALLBACK_ID: Final = "purchases_receipt"

# Blocks and actions inside the lookup form (view state is keyed by these).
FORM_MEMBER_BLOCK: Final = "member"
FORM_MEMBER_ACTION: Final = "member_input"
FORM_ID_TYPE_BLOCK: Final = "id_type"
FORM_ID_TYPE_ACTION: Final = "id_type_select"
FORM_START_BLOCK: Final = "start"
FORM_START_ACTION: Final = "start_date"
FORM_END_BLOCK: Final = "end"
FORM_END_ACTION: Final = "end_date"
FORM_ID_TYPE_INFER: Final = "infer"
POINTS_ACTION: Final = "purchases_points"
"""The card's Points button: opens the member's points ledger."""
POINTS_VIEW_CALLBACK_ID: Final = "purchases_points"
FORM_FIND_BLOCK: Final = "find"
FORM_FIND_ACTION: Final = "find_input"
FORM_ONLY_BLOCK: Final = "only"
FORM_ONLY_ACTION: Final = "only_select"
FORM_ONLY_ALL: Final = "all"
