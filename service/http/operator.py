"""The operators' listener (METRICS_HOST:METRICS_PORT), apart from the public port: metrics,
health and readiness, and the controls a redeploy uses.

    GET  /metrics   prometheus-client's own exposition: the Prometheus text format, or
                    OpenMetrics to a scraper that asks for it (Prometheus does), gzipped
                    when the scraper accepts it
    GET  /healthz   200 while the process serves
    GET  /readyz    as on the public port (503 while draining)
    POST /drain     out of readiness: new requests and chats are refused with 503 and
                    Retry-After (a balancer retries them on another instance); open chats and
                    runs carry on
    POST /stop      the graceful stop SIGTERM starts (drain, close chats with 1001, let runs
                    finish within DRAIN_SECONDS, exit 0); a supervisor starts the next process

Like Envoy's admin port, it has no authentication: bind it to a private address.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from service.http.routes.health import healthz, readiness
from service.keys import LIFECYCLE
from service.metrics import READY

# The public application whose state this listener reports and controls.
SERVED = web.AppKey("served", web.Application)

routes = web.RouteTableDef()
# The library's handler: it picks the format the scraper asks for (the same samples either way).
_exposition = make_aiohttp_handler()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.StreamResponse:
    # Readiness as the balancer sees it, checked at each scrape (within about half a second even
    # with a frozen dependency): the alert on an instance out of rotation needs no other probe.
    # Its Redis ping also lets the Redis circuit breaker close once Redis answers again.
    status, _ = await readiness(request.app[SERVED])
    READY.set(1 if status == 200 else 0)
    return await _exposition(request)


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    status, body = await readiness(request.app[SERVED])
    return web.json_response(body, status=status)


@routes.post("/drain")
async def drain(request: web.Request) -> web.Response:
    request.app[SERVED][LIFECYCLE].drain()
    return web.json_response({"instance": "draining"}, status=202)


@routes.post("/stop")
async def stop(request: web.Request) -> web.Response:
    request.app[SERVED][LIFECYCLE].request_stop()
    return web.json_response({"instance": "stopping"}, status=202)


def operator_app(served: web.Application) -> web.Application:
    app = web.Application()
    app[SERVED] = served
    app.add_routes(routes)
    app.router.add_get("/healthz", healthz)
    return app
