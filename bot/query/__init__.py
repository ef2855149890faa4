"""The command language: ``/purchases …`` text in, a query (or a reason why not) out.

All pure functions: no I/O, no clock (``today`` is passed in), and none of them raises on
any text. The README's "The command" and ``HELP_TEXT`` give the grammar as people see it;
``docs/contract.md`` why it must not drift. One module per concern:

* :mod:`~bot.query.model`: the query and the other answers, and the limits;
* :mod:`~bot.query.codec`: a query in a button's value, and back;
* :mod:`~bot.query.markup`: Slack markup, invisible characters, quoting input back;
* :mod:`~bot.query.members`: member-id inference, normalisation, the lookup form's checks;
* :mod:`~bot.query.tokens`: the words of a command;
* :mod:`~bot.query.dates`: date phrases as runs of days;
* :mod:`~bot.query.grammar`: the command grammar, its usage line and help;
* :mod:`~bot.query.scanner`: emails and phone numbers in a message (the shortcut).

Import from here: these names are the package's interface.
"""

from bot.query.codec import decode_query, encode_query
from bot.query.grammar import HELP_TEXT, USAGE, parse_command
from bot.query.markup import unwrap_slack_markup
from bot.query.members import infer_id_type, query_from_form, validate_member
from bot.query.model import (
    MAX_BUTTON_VALUE,
    MAX_COMMAND_LENGTH,
    MAX_IDENTIFIERS,
    MAX_MEMBER_LENGTH,
    MAX_PAGE,
    Command,
    FormRequest,
    HelpRequest,
    PurchaseQuery,
    ReceiptsRequest,
    UsageError,
)
from bot.query.scanner import find_member_identifiers

__all__ = [
    "HELP_TEXT",
    "MAX_BUTTON_VALUE",
    "MAX_COMMAND_LENGTH",
    "MAX_IDENTIFIERS",
    "MAX_MEMBER_LENGTH",
    "MAX_PAGE",
    "USAGE",
    "Command",
    "FormRequest",
    "HelpRequest",
    "PurchaseQuery",
    "ReceiptsRequest",
    "UsageError",
    "decode_query",
    "encode_query",
    "find_member_identifiers",
    "infer_id_type",
    "parse_command",
    "query_from_form",
    "unwrap_slack_markup",
    "validate_member",
]
