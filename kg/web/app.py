"""The FastAPI application: every route of the service in one list (`ROUTES`), the middleware
around it, and `create_app(settings)`, which opens the state and mounts both.

Why a factory: tests start several servers (read-only, writable, tiny limits) over different
stores in one session; nothing here is global. The handlers are plain module-level functions
of kg/web/routes/<concern>.py; each reaches the app's state (store, version, worker pool,
caches) with `kg.web.state.service(request)` and nothing else.

A request passes the middleware from the outside in: security headers, CORS, limits (rate,
size), the SPARQL fast lane (GET/HEAD/POST /sparql leave here for kg.web.routes.sparql's
handlers, skipping the router), then FastAPI's router with the routes below. HEAD is served
wherever GET is: every GET route is listed with HEAD (`GET_HEAD`), mounted as a second,
undocumented route (`_add_route`).
The operations middleware (metrics, access log) is outermost of all.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import FastAPI

from kg.config import Settings, env_setting
from kg.web import cors, limits, ops, security
from kg.web.metrics import METRICS, MetricsRegistry
from kg.web.routes import (
    apidocs,
    areas,
    changes,
    contributions,
    graphstore,
    hsds,
    linkeddata,
    network,
    queries,
    reconcile,
    search,
    sparql,
    ui,
)
from kg.web.routes import ops as ops_routes
from kg.web.state import WebState

log = logging.getLogger("hilfenetz.server")


class GroupServices(Protocol):
    """What a replica of `kg serve --replicas` shares with its group (kg.serve.replicas gives
    it; the web layer only uses it): one per-client rate limit and one merged /metrics."""

    def rate_buckets(self, rate: float, burst: int) -> Any:
        """The token buckets shared by the group (an object with `take(client) -> float`)."""

    def shared_metrics(self, registry: MetricsRegistry) -> Any:
        """Publishes `registry` for the group (`start()`, `stop()`) and renders the merged view."""


@dataclass(frozen=True)
class Route:
    """One route: its path, methods, handler and name (for url_for, the access log and the
    generated OpenAPI operation ids), and FastAPI's keywords for its OpenAPI description."""

    path: str
    methods: tuple[str, ...]
    handler: Callable[..., Any]
    name: str
    doc: Mapping[str, Any] = field(default_factory=lambda: HIDDEN)
    #: only mounted when writes are enabled (a write token is configured)
    writes: bool = False
    #: one route per named query (queries/*.rq): `{name}` in path and name is the query's name,
    #: its OpenAPI description is kg.web.routes.queries.route_doc(query)
    per_named_query: bool = False


HIDDEN: Mapping[str, Any] = {"include_in_schema": False}
GET = ("GET",)
GET_HEAD = ("GET", "HEAD")

#: Every route of the service, in the order a reader looks for them (and FastAPI matches them).
ROUTES: tuple[Route, ...] = (
    # SPARQL 1.1 Query and Update Protocol. GET, HEAD and POST are answered by the fast lane
    # (sparql.SparqlLane) with these same handlers before the router is reached; the entries
    # describe them in OpenAPI and answer the other methods with 405.
    Route("/sparql", GET, sparql.sparql_get, "sparql_get", sparql.GET_DOC),
    Route("/sparql", ("HEAD",), sparql.sparql_get, "sparql_head", sparql.HEAD_DOC),
    Route("/sparql", ("POST",), sparql.sparql_post, "sparql_post", sparql.POST_DOC),
    Route("/sparql", ("PUT", "DELETE", "PATCH"), sparql.sparql_other, "sparql_other"),
    # SPARQL 1.1 Graph Store HTTP Protocol
    Route("/store", tuple(graphstore.METHODS), graphstore.store_indirect, "store_indirect", {"tags": ["graph store"]},
          writes=True),
    Route("/store/{path:path}", tuple(graphstore.METHODS), graphstore.store_direct, "store_direct",
          {"tags": ["graph store"]}, writes=True),
    # contributions: submit, review, approve (kg.web.routes.contributions), and their pages
    Route("/api/contributions", ("POST",), contributions.submit, "contribution_submit", contributions.SUBMIT_DOC,
          writes=True),
    Route("/api/contributions", GET_HEAD, contributions.list_contributions, "contribution_list",
          contributions.LIST_DOC, writes=True),
    Route("/api/contributions/{cid}", GET_HEAD, contributions.get_contribution, "contribution_get",
          contributions.GET_DOC, writes=True),
    Route("/api/contributions/{cid}/approve", ("POST",), contributions.approve, "contribution_approve",
          contributions.APPROVE_DOC, writes=True),
    Route("/api/contributions/{cid}/reject", ("POST",), contributions.reject, "contribution_reject",
          contributions.REJECT_DOC, writes=True),
    Route("/beitragen", GET_HEAD, contributions.contribute_page, "contribute_page", writes=True),
    Route("/beitragen/pruefen", GET_HEAD, contributions.review_page, "review_page", writes=True),
    Route("/beitragen/vorlage/{kind}.xlsx", GET_HEAD, contributions.template, "contribution_template",
          {"tags": ["contributions"], "summary": "Empty spreadsheet template of a kind / Leere Vorlage"}, writes=True),
    # linked data: entity pages and documents, the JSON-LD context, ontology, dataset, dumps
    Route("/id/{path:path}", GET_HEAD, linkeddata.resource, "resource"),
    Route("/context.jsonld", GET_HEAD, linkeddata.context, "context"),
    Route("/ontology", GET_HEAD, linkeddata.ontology_doc, "ontology_doc"),
    Route("/ontology/{version}", GET_HEAD, linkeddata.ontology_version, "ontology_version"),
    Route("/ontology.{ext}", GET_HEAD, linkeddata.ontology_ext, "ontology_ext"),
    Route("/dataset", GET_HEAD, linkeddata.dataset_doc, "dataset_doc"),
    Route("/dataset.{ext}", GET_HEAD, linkeddata.dataset_ext, "dataset_ext"),
    Route("/.well-known/void", GET_HEAD, linkeddata.void, "void"),
    Route("/.well-known/void.{ext}", GET_HEAD, linkeddata.void_ext, "void_ext"),
    Route("/downloads", GET_HEAD, linkeddata.downloads, "downloads"),
    Route("/downloads/{name:path}", GET_HEAD, linkeddata.download_file, "download_file"),
    # REST API: named queries, search, network, and its interactive docs
    Route("/api/queries", GET_HEAD, queries.list_queries, "list_queries", queries.LIST_DOC),
    Route("/api/queries/{name}", GET_HEAD, queries.answer, "namedquery_{name}", per_named_query=True),
    Route("/api/search", GET_HEAD, search.search, "search", search.SEARCH_DOC),
    Route("/api/network", GET_HEAD, network.network, "network", network.NETWORK_DOC),
    Route("/api/network/path", GET_HEAD, network.path, "path", network.PATH_DOC),
    # W3C Reconciliation Service API 0.2 (OpenRefine): manifest, queries, extension, suggest, preview
    Route("/reconcile", GET_HEAD, reconcile.reconcile, "reconcile", reconcile.RECONCILE_DOC),
    Route("/reconcile", ("POST",), reconcile.reconcile, "reconcile_post", reconcile.RECONCILE_POST_DOC),
    Route("/reconcile/suggest/entity", GET_HEAD, reconcile.suggest_entity, "reconcile_suggest_entity",
          reconcile.SUGGEST_ENTITY_DOC),
    Route("/reconcile/suggest/type", GET_HEAD, reconcile.suggest_type, "reconcile_suggest_type",
          reconcile.SUGGEST_TYPE_DOC),
    Route("/reconcile/suggest/property", GET_HEAD, reconcile.suggest_property, "reconcile_suggest_property",
          reconcile.SUGGEST_PROPERTY_DOC),
    Route("/reconcile/properties", GET_HEAD, reconcile.propose_properties, "reconcile_properties",
          reconcile.PROPERTIES_DOC),
    Route("/reconcile/preview", GET_HEAD, reconcile.preview, "reconcile_preview", reconcile.PREVIEW_DOC),
    Route("/reconcile/view", GET_HEAD, reconcile.view, "reconcile_view", reconcile.VIEW_DOC),
    # Open Referral HSDS 3.x, read-only, as the HSDS OpenAPI lays it out (docs/hsds.md)
    Route("/api/hsds/", GET_HEAD, hsds.hsds_meta, "hsds_meta", hsds.META_DOC),
    Route("/api/hsds/organizations", GET_HEAD, hsds.organizations, "hsds_organizations", hsds.ORGANIZATIONS_DOC),
    Route("/api/hsds/organizations/{id}", GET_HEAD, hsds.organization, "hsds_organization", hsds.ORGANIZATION_DOC),
    Route("/api/hsds/services", GET_HEAD, hsds.services, "hsds_services", hsds.SERVICES_DOC),
    Route("/api/hsds/services/{id}", GET_HEAD, hsds.service_one, "hsds_service", hsds.SERVICE_DOC),
    Route("/api/hsds/service_at_locations", GET_HEAD, hsds.service_at_locations, "hsds_service_at_locations",
          hsds.SAL_DOC),
    Route("/api/hsds/service_at_locations/{id}", GET_HEAD, hsds.service_at_location, "hsds_service_at_location",
          hsds.SAL_ONE_DOC),
    Route("/api/hsds/taxonomies", GET_HEAD, hsds.taxonomies, "hsds_taxonomies", hsds.TAXONOMIES_DOC),
    Route("/api/hsds/taxonomies/{id}", GET_HEAD, hsds.taxonomy, "hsds_taxonomy", hsds.TAXONOMY_DOC),
    Route("/api/hsds/taxonomy_terms", GET_HEAD, hsds.taxonomy_terms, "hsds_taxonomy_terms", hsds.TERMS_DOC),
    Route("/api/hsds/taxonomy_terms/{id}", GET_HEAD, hsds.taxonomy_term, "hsds_taxonomy_term", hsds.TERM_DOC),
    Route("/api/docs", GET_HEAD, apidocs.docs, "docs"),
    Route("/api/docs/init.js", GET_HEAD, apidocs.docs_init, "docs_init"),
    Route("/api/docs/assets/{name}", GET_HEAD, apidocs.docs_asset, "docs_asset"),
    # the query UI and the script-free search page
    Route("/", GET_HEAD, ui.index, "index"),
    Route("/static/{name}", GET_HEAD, ui.static_file, "static_file"),
    Route("/api/examples", GET_HEAD, ui.examples, "examples", {"tags": ["ui"]}),
    Route("/api/vocabulary", GET_HEAD, ui.vocabulary, "vocabulary", {"tags": ["ui"]}),
    Route("/search", GET_HEAD, search.search_page, "search_page"),
    # area profiles for people in the field (kg/query/profile.py, kg/web/render/profile.py)
    Route("/gebiet/{key}", GET_HEAD, areas.area, "area_profile", {"tags": ["areas"]}),
    Route("/vergleich", GET_HEAD, areas.compare, "area_compare", {"tags": ["areas"]}),
    Route("/vergleich.json", GET_HEAD, areas.compare_json, "area_compare_json", {"tags": ["areas"]}),
    # the change history (kg.graph.changes): list, Atom feed, one change, revert
    Route("/changes", GET_HEAD, changes.changes_page, "changes", changes.CHANGES_DOC),
    Route("/changes.atom", GET_HEAD, changes.changes_feed, "changes_feed", changes.FEED_DOC),
    Route("/changes/{change_id}", GET_HEAD, changes.change_detail, "change_detail", changes.CHANGE_DOC),
    Route("/changes/{change_id}/revert", ("POST",), changes.revert, "change_revert", changes.REVERT_DOC, writes=True),
    # operations
    Route("/health", GET_HEAD, ops_routes.health, "health", ops_routes.HEALTH_DOC),
    Route("/ready", GET_HEAD, ops_routes.ready, "ready", ops_routes.READY_DOC),
    Route("/metrics", GET_HEAD, ops_routes.metrics, "metrics", ops_routes.METRICS_DOC),
)


def mount(app: FastAPI, routes: tuple[Route, ...], *, writable: bool = False,
          named_queries: Mapping[str, Any] | None = None) -> None:
    """Add `routes` to `app` in their order: the routes for writes only when `writable`, the
    per-named-query route once for each of `named_queries` (kg.query.named.load_catalogue)."""
    for route in routes:
        if route.writes and not writable:
            continue
        if route.per_named_query:
            for name, query in (named_queries or {}).items():
                _add_route(app, route.path.format(name=name), route.handler, route.methods,
                           route.name.format(name=name), queries.route_doc(query))
            continue
        _add_route(app, route.path, route.handler, route.methods, route.name, route.doc)


def _add_route(app: FastAPI, path: str, handler: Callable[..., Any], methods: tuple[str, ...], name: str,
               doc: Mapping[str, Any]) -> None:
    """One route; with GET, its HEAD is a second route left out of the OpenAPI document: HEAD is
    answered as GET, and one route with both methods gave both operations the same generated id
    (FastAPI warned "Duplicate Operation ID" for each such route while building /openapi.json)."""
    if "GET" in methods and "HEAD" in methods:
        app.add_api_route(path, handler, methods=[m for m in methods if m != "HEAD"], name=name, **doc)
        app.add_api_route(path, handler, methods=["HEAD"], name=name, **{**doc, "include_in_schema": False})
        return
    app.add_api_route(path, handler, methods=list(methods), name=name, **doc)


def create_app(settings: Settings, group: GroupServices | None = None) -> FastAPI:
    """Build the app. The store is opened at once (errors surface before serving, as does a
    broken query file); the worker processes start with the app's lifespan and stop with it.
    `group` is given to a replica of a group (kg.serve.replicas); a process serving alone has none."""
    settings = settings.resolved()
    # before the store opens: its threads then share the capped malloc arenas too (measured:
    # with glibc's default the main process grew from ~0.7 to ~1.05 GB in 180 s of soak load,
    # capped at 2 it stayed flat; bench/results/soak.md). The one place the cap is applied:
    # uvicorn's threads, started later, share the capped arenas as well.
    ops.limit_malloc_arenas(env_setting("malloc_arenas"))
    # lookups in the event loop must not wait 5 ms for the GIL per step while a write validates
    ops.set_switch_interval(env_setting("gil_switch_ms"))
    shared = group.shared_metrics(METRICS) if group is not None else None
    state = WebState(settings, registry=METRICS, render_metrics=shared.render if shared is not None else None)
    if settings.warm_caches:  # on the full graph they take tens of seconds on first use
        state.linked_data.warm_in_background(state.store, state.version)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        if shared is not None:
            shared.start()
        log.info(
            "serving %s (%s) with %d workers, timeout %gs",
            settings.store_path, "read-write" if settings.writable else "read-only", settings.workers, settings.timeout,
        )
        try:
            yield
        finally:
            if shared is not None:
                shared.stop()
            await state.close()
            for handler in ops.access_log.handlers:  # lines still waiting in a batch
                handler.flush()

    app = FastAPI(
        title="hilfenetz SPARQL service",
        description="SPARQL 1.1 Query/Update Protocol and Graph Store Protocol over the hilfenetz knowledge graph.",
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load their assets from a CDN; the offline docs are /api/docs
        docs_url=None,
        redoc_url=None,
    )
    app.state.kg = state
    mount(app, ROUTES, writable=settings.writable, named_queries=state.named_queries)
    install_openapi(app)

    # middleware, innermost first
    sparql.install_lane(app)  # innermost: /sparql requests pass every middleware, not the router
    # innermost of the three: ops still counts 429s
    limits.install(app, settings, group.rate_buckets if group is not None else None)
    cors.install(app)  # outside the limits: preflights cost no tokens, 429s can be read by pages on other origins
    security.install(app, settings)  # headers also on 429/414 answers and preflights
    ops.install(app, registry=METRICS)  # outermost: metrics and the access log see every answer
    return app


def unique_operation_ids(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every operationId of an OpenAPI document unique, in place (OpenAPI requires it).

    Why: FastAPI gives every method of one route the same generated operationId, which OpenAPI
    validators reject. GET and HEAD are mounted as two routes (`_add_route`), so this is left to
    the graph store's routes (GET, PUT, POST, DELETE, HEAD on one path, with a write token):
    later duplicates get the method appended (`store_indirect_store_get_put`)."""
    seen: set[str] = set()
    for path_item in schema.get("paths", {}).values():
        for method, op in path_item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            oid = op["operationId"]
            if oid in seen:
                oid, n = f"{op['operationId']}_{method}", 2
                while oid in seen:
                    oid, n = f"{op['operationId']}_{method}{n}", n + 1
                op["operationId"] = oid
            seen.add(oid)
    return schema


def install_openapi(app: Any) -> None:
    """Serve /openapi.json with unique operationIds. Call once after all routers are added."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            # FastAPI warns of the duplicates it generates for a route with several methods; they
            # are made unique right here. (One route per method would give unique ids but break
            # 405's Allow header: Starlette lists only the first matching route's methods.)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Duplicate Operation ID", category=UserWarning)
                app.openapi_schema = unique_operation_ids(generate())
        return app.openapi_schema

    app.openapi = openapi
    app.state.unique_operation_ids = True
