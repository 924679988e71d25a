"""The support desk's state changes: tickets and their thread, and the courts' service levels."""

from support.services.service_levels import (
    add_holiday,
    remove_holiday,
    set_targets,
    update_calendar,
)
from support.services.tickets import (
    Link,
    add_message,
    open_ticket,
    rate,
    reopen,
    reply,
    request_information,
    resolve,
)

__all__ = [
    "Link",
    "add_holiday",
    "add_message",
    "open_ticket",
    "rate",
    "remove_holiday",
    "reopen",
    "reply",
    "request_information",
    "resolve",
    "set_targets",
    "update_calendar",
]
