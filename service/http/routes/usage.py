"""Usage data: what the agent reasons over. Records always belong to the caller."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from aiohttp import web

from service.clock import utc_today
from service.errors import InvalidRequest
from service.http.common import authenticate, read_json
from service.keys import SESSIONS, SETTINGS
from service.store import usage
from service.store.models import UsageRecord
from service.validation import clean_date, clean_int, clean_number, clean_text, require_object

routes = web.RouteTableDef()
MAX_RECORDS = 5000
# What one account may hold: every record (its plan's `usage_records`: service/plans.py), and the
# records of one day. The second bounds what one question analyses (30 days) and, with the
# report's summaries, the size of its answer.
MAX_RECORDS_PER_DAY = 500
# cost_usd is stored as NUMERIC(14, 6): below 10^8 dollars.
MAX_COST_USD = 99_999_999.99
SUMMARY_DAYS = 30


def _record(raw: object, index: int) -> UsageRecord:
    item = require_object(raw, what=f"records[{index}]")
    where = f"records[{index}]"
    return UsageRecord(
        day=clean_date(item.get("day"), field=f"{where}.day"),
        model=clean_text(item.get("model"), field=f"{where}.model", max_chars=100).strip(),
        feature=clean_text(item.get("feature"), field=f"{where}.feature", max_chars=100).strip(),
        requests=clean_int(item.get("requests"), field=f"{where}.requests"),
        input_tokens=clean_int(item.get("input_tokens"), field=f"{where}.input_tokens"),
        output_tokens=clean_int(item.get("output_tokens"), field=f"{where}.output_tokens"),
        cost_usd=Decimal(
            str(clean_number(item.get("cost_usd"), field=f"{where}.cost_usd", maximum=MAX_COST_USD))
        ),
    )


@routes.post("/api/usage")
async def post_usage(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    body = await read_json(request)
    raw = body.get("records")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RECORDS:
        raise InvalidRequest(f"records must be a list of 1 to {MAX_RECORDS} usage records")
    records = [_record(item, i) for i, item in enumerate(raw)]
    async with request.app[SESSIONS]() as session:
        accepted = await usage.add_usage(
            session,
            user_id=claims.user_id,
            records=records,
            max_per_plan={p: q.usage_records for p, q in request.app[SETTINGS].plans.items()},
            max_per_day=MAX_RECORDS_PER_DAY,
        )
    return web.json_response({"accepted": accepted}, status=202)


@routes.get("/api/usage/summary")
async def usage_summary(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    until = utc_today()
    since = until - timedelta(days=SUMMARY_DAYS - 1)
    async with request.app[SESSIONS]() as session:
        by_model = await usage.usage_totals(
            session, user_id=claims.user_id, since=since, until=until, by="model"
        )
        by_feature = await usage.usage_totals(
            session, user_id=claims.user_id, since=since, until=until, by="feature"
        )
    return web.json_response(
        {
            "period": {"start": since.isoformat(), "end": until.isoformat()},
            "total_usd": f"{sum(by_model.values(), Decimal(0)):.2f}",
            "by_model": {name: f"{cost:.2f}" for name, cost in by_model.items()},
            "by_feature": {name: f"{cost:.2f}" for name, cost in by_feature.items()},
        }
    )
