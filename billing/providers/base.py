"""The payment provider interface: everything billing asks of Stripe, and would ask of YooKassa
or CloudPayments. A provider turns its own objects into these plain values; the rest of
billing never sees a provider's SDK. See docs/billing.md."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from billing.models import PlanPrice, Subscription
from billing.services import ProviderState


class ProviderError(Exception):
    """The provider could not be reached or refused the request."""


class WebhookInvalid(Exception):
    """A webhook whose signature does not verify, or that is not an event at all."""


@dataclass(frozen=True)
class Invoice:
    number: str
    created: datetime
    total_minor: int
    currency: str
    status: str
    pdf_url: str
    page_url: str

    @property
    def total(self) -> float:
        return self.total_minor / 100


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event, reduced to what billing needs to find what it is about."""

    id: str
    type: str
    company_id: int | None  # from the object's metadata / client_reference_id
    customer_id: str
    subscription_id: str


class BillingProvider(ABC):
    name: str

    @abstractmethod
    def checkout_url(
        self,
        *,
        subscription: Subscription,
        price: PlanPrice,
        seats: int,
        email: str,
        success_url: str,
        cancel_url: str,
    ) -> str:
        """Where to send the admin to pay for `seats` of `price` (a hosted payment page)."""

    @abstractmethod
    def portal_url(self, *, subscription: Subscription, return_url: str) -> str:
        """The provider's page where the customer changes card, seats or cancels."""

    @abstractmethod
    def invoices(self, *, subscription: Subscription, limit: int = 24) -> list[Invoice]:
        """The customer's invoices, newest first."""

    @abstractmethod
    def event_verify(self, *, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """The event in a webhook's raw body, or WebhookInvalid when its signature is bad."""

    @abstractmethod
    def subscription_state(self, subscription_id: str) -> ProviderState:
        """What the subscription is now, read from the provider (never from an event's body:
        events arrive late, twice or out of order)."""
