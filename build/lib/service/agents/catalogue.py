"""Model prices and the savings rules the optimizer applies.

Prices are list prices in US dollars per 1 million tokens:

| model           | tier    | input | output | moves to       |
|-----------------|---------|------:|-------:|----------------|
| gpt-4o          | premium |  2.50 |  10.00 | gpt-4o-mini    |
| gpt-4o-mini     | economy |  0.15 |   0.60 |                |
| gpt-4.1         | premium |  2.00 |   8.00 | gpt-4.1-mini   |
| gpt-4.1-mini    | economy |  0.40 |   1.60 |                |
| o3              | premium |  2.00 |   8.00 | o4-mini        |
| o4-mini         | economy |  1.10 |   4.40 |                |
| claude-opus-4   | premium | 15.00 |  75.00 | claude-haiku-4 |
| claude-sonnet-4 | premium |  3.00 |  15.00 | claude-haiku-4 |
| claude-haiku-4  | economy |  1.00 |   5.00 |                |

Names match loosely (case and separators are ignored: "GPT-4o" is gpt-4o). A model that is not
in the table is never switched and never batched: we know nothing about its price or its API.

Rules:

- **Light workload.** A feature on a premium model whose requests average at most 1,500 input and
  400 output tokens can move to that model's economy model. The saving is what it cost minus what
  the same tokens cost at the economy model's prices (never negative).
- **Non-interactive work.** A feature whose name contains one of `NON_INTERACTIVE_KEYWORDS`
  (report, digest, batch, ...) does not need answers in seconds, so it can use the provider's
  batch API at a 50% discount. The discount applies to what remains after any model switch, so
  the two savings of one feature add up without counting a dollar twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from service.agents.model import name_key

LIGHT_INPUT_TOKENS = 1_500
LIGHT_OUTPUT_TOKENS = 400
BATCH_DISCOUNT = Decimal("0.5")
NON_INTERACTIVE_KEYWORDS = (
    "report",
    "digest",
    "batch",
    "nightly",
    "export",
    "summar",
    "classif",
    "tagging",
    "backfill",
    "etl",
)


class Tier(Enum):
    PREMIUM = "premium"
    ECONOMY = "economy"


@dataclass(frozen=True)
class Price:
    model: str
    tier: Tier
    input_per_million: Decimal
    output_per_million: Decimal
    economy_model: str | None = None


def _premium(model: str, input_: str, output: str, economy: str) -> Price:
    return Price(model, Tier.PREMIUM, Decimal(input_), Decimal(output), economy)


def _economy(model: str, input_: str, output: str) -> Price:
    return Price(model, Tier.ECONOMY, Decimal(input_), Decimal(output))


PRICES: tuple[Price, ...] = (
    _premium("gpt-4o", "2.50", "10.00", economy="gpt-4o-mini"),
    _economy("gpt-4o-mini", "0.15", "0.60"),
    _premium("gpt-4.1", "2.00", "8.00", economy="gpt-4.1-mini"),
    _economy("gpt-4.1-mini", "0.40", "1.60"),
    _premium("o3", "2.00", "8.00", economy="o4-mini"),
    _economy("o4-mini", "1.10", "4.40"),
    _premium("claude-opus-4", "15.00", "75.00", economy="claude-haiku-4"),
    _premium("claude-sonnet-4", "3.00", "15.00", economy="claude-haiku-4"),
    _economy("claude-haiku-4", "1.00", "5.00"),
)
MODELS = frozenset(price.model for price in PRICES)
_BY_KEY = {name_key(price.model): price for price in PRICES}


def price_of(model: str) -> Price | None:
    return _BY_KEY.get(name_key(model))


def economy_alternative(model: str) -> Price | None:
    """The economy model a premium model moves to; `None` for economy and unknown models."""
    price = price_of(model)
    if price is None or price.economy_model is None:
        return None
    return price_of(price.economy_model)


def token_cost(price: Price, *, input_tokens: int, output_tokens: int) -> Decimal:
    """What the tokens cost at the catalogue's prices, unrounded."""
    return (
        input_tokens * price.input_per_million + output_tokens * price.output_per_million
    ) / 1_000_000


def is_light_workload(*, requests: int, input_tokens: int, output_tokens: int) -> bool:
    return (
        requests > 0
        and input_tokens <= LIGHT_INPUT_TOKENS * requests
        and output_tokens <= LIGHT_OUTPUT_TOKENS * requests
    )


def is_non_interactive(feature: str) -> bool:
    name = feature.casefold()
    return any(keyword in name for keyword in NON_INTERACTIVE_KEYWORDS)
