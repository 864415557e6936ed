"""Free text a person writes (a ticket, a message, a comment), bounded: shared by the staff side's
interactions and the customer side's requests, in a leaf module so neither loads the other's models."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from cis.domain.contact import Strict

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


def one_score(rating: int | None, nps: int | None) -> None:
    """Feedback is a rating or an NPS answer, never both, never neither (staff's and the customer's)."""
    if (rating is None) == (nps is None):
        raise ValueError("give exactly one of rating (1-5) or nps (0-10)")


MAX_MESSAGES = 200  # per ticket: a thread longer than that is a new ticket's


class TicketMessage(Strict):
    """A message on a support ticket's thread: from the customer, or support's reply."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Could you send a larger size?"}]})

    text: LongText
