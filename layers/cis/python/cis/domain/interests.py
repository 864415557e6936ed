"""What a customer is looking at: the products and categories they viewed lately and their current
cart, kept on the profile by the activity that shows it, in the same write (one request).

A profile cannot grow without bound, and a single update cannot read what it replaces, so the recent
products and categories are kept in a fixed number of slots: an item goes to the slot its id hashes
to, replacing what was there. The same product viewed again lands in its own slot (no repeats); two
products sharing a slot keep the later. What a rep or a segment reads is the newest first."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from cis.domain.contact import Strict
from cis.domain.model import Model, empty_list
from cis.domain.texts import Text

PRODUCT_SLOTS = 12  # recently viewed products kept on a profile
CATEGORY_SLOTS = 6
MAX_CART_LINES = 100

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217 code, e.g. EUR")]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=4, description="Exact decimal, e.g. 19.99")]
Price = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4, description="Exact decimal, e.g. 19.99")]


class CartLine(Strict):
    # One schema for requests and responses (as LineItem's): generated clients refuse two of one name.
    model_config = ConfigDict(json_schema_mode_override="validation")

    product_id: Text
    quantity: int = Field(ge=1, le=10_000)
    price: Price = Field(description="Unit price")


class Cart(Strict):
    """The cart as the shop has it now: every line (an empty list is an emptied cart)."""

    model_config = ConfigDict(json_schema_mode_override="validation")

    lines: list[CartLine] = Field(max_length=MAX_CART_LINES)
    currency: Currency

    @property
    def value(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))


class ViewedProduct(Model):
    product_id: str
    category: str | None = None
    price: Decimal | None = None
    viewed_at: datetime


class ViewedCategory(Model):
    category: str
    viewed_at: datetime


class CurrentCart(Model):
    lines: list[dict[str, Any]] = Field(default_factory=empty_list, description="product_id, quantity, price")
    currency: str
    value: Decimal = Field(description="Sum of the lines: quantity x price")
    updated_at: datetime


class Checkout(Model):
    step: str | None = None
    started_at: datetime


class Interests(Model):
    """Kept current by activities (product_viewed, cart_updated, checkout_started); newest first."""

    products: list[ViewedProduct] = Field(default_factory=empty_list, description="Recently viewed, newest first")
    categories: list[ViewedCategory] = Field(default_factory=empty_list, description="Newest first")
    cart: CurrentCart | None = Field(
        default=None, description="The current cart (no lines: emptied); none once ordered"
    )
    checkout: Checkout | None = Field(default=None, description="A checkout started since the last order")

    @model_validator(mode="before")
    @classmethod
    def _from_slots(cls, stored: Any) -> Any:
        """The table keeps slot maps ({"p3": {...}}); a reader gets lists, newest first."""
        if not isinstance(stored, dict):
            return stored
        shown = dict(stored)
        for name in ("products", "categories"):
            if isinstance(shown.get(name), dict):
                shown[name] = sorted(shown[name].values(), key=lambda item: str(item["viewed_at"]), reverse=True)
        return shown


def empty() -> dict:
    """The slot maps a new profile starts with, so an activity can set a slot inside them."""
    return {"products": {}, "categories": {}}


def slot(prefix: str, value: str, slots: int) -> str:
    digest = hashlib.blake2b(value.encode(), digest_size=4).digest()
    return f"{prefix}{int.from_bytes(digest, 'big') % slots}"


def product_view(product_id: str, category: str | None, price: Decimal | None, at: str) -> dict[str, Any]:
    """The `interests` paths a product view sets: its product's slot, and its category's."""
    viewed = {"product_id": product_id, "viewed_at": at}
    viewed |= {"category": category} if category else {}
    viewed |= {"price": price} if price is not None else {}
    sets = {f"products.{slot('p', product_id, PRODUCT_SLOTS)}": viewed}
    if category:
        sets[f"categories.{slot('c', category.casefold(), CATEGORY_SLOTS)}"] = {"category": category, "viewed_at": at}
    return sets


def cart_update(cart: Cart, at: str) -> dict[str, Any]:
    lines = [line.model_dump(mode="python") for line in cart.lines]
    return {"cart": {"lines": lines, "currency": cart.currency, "value": cart.value, "updated_at": at}}


def checkout_start(step: str | None, at: str) -> dict[str, Any]:
    return {"checkout": {"started_at": at} | ({"step": step} if step else {})}


ORDERED = ("cart", "checkout")  # what an order placed after them ends
