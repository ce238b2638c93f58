"""The HSDS API's data: the Open Referral HSDS objects of the current store version, computed once
and kept, with the list filters and paging of the HSDS 3.x OpenAPI (kg/web/routes/hsds.py serves them).

Why a cache per store version: the objects come from `kg.graph.hsds.build_hsds` — the same mapping
as `kg hsds export`, so the API and the files never disagree — which reads the whole graph (about
2 s of CPU on the real graph, 399 organisations and 148 taxonomy terms). A request then only filters
and pages lists in memory; a rebuilt store or a committed write gives a new version and the next
request builds anew (like the search index and the network projection).

Filters are cumulative (AND), as the HSDS API reference requires. What the model cannot answer is
refused with 400 rather than ignored (an ignored filter would return wrong results): `modified_after`
(the graph records no modification times) and `postcode`/`proximity` (no coordinates, no postcode
areas).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kg.errors import BadRequest
from kg.graph.hsds import HSDS_VERSION, build_hsds
from kg.store.protocol import QueryStore

#: The HSDS API's list endpoints, in the order of the OpenAPI document.
ENDPOINTS = ("organizations", "services", "service_at_locations", "taxonomies", "taxonomy_terms")
#: Default and largest `per_page`.
PER_PAGE = 50
MAX_PER_PAGE = 1000
#: Text fields the `search` filter looks in, per endpoint.
_SEARCH_FIELDS: Mapping[str, tuple[str, ...]] = {
    "organizations": ("name", "alternate_name", "description"),
    "services": ("name", "alternate_name", "description", "eligibility_description"),
    "service_at_locations": ("description",),
    "taxonomies": ("name", "description"),
    "taxonomy_terms": ("name", "description", "code"),
}


def _fold(text: str) -> str:
    """Case and umlauts do not matter to `search` (Jugendamt = jugendamt, Mütter = Muetter)."""
    text = text.casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return text


def one_to_one(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object without its arrays of child objects (what HSDS lists "normally" carry)."""
    return {k: v for k, v in obj.items() if not isinstance(v, list)}


@dataclass
class HsdsIndex:
    """The HSDS objects of one store version and what the filters need."""

    version: str
    objects: dict[str, list[dict[str, Any]]]
    by_id: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: service id → ids of its taxonomy terms (attributes); term id → taxonomy id
    service_terms: dict[str, set[str]] = field(default_factory=dict)
    term_taxonomy: dict[str, str] = field(default_factory=dict)
    #: organisation id → its services
    org_services: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _text: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, store: QueryStore, version: str) -> HsdsIndex:
        export = build_hsds(store)
        objects = {name: list(export.json_objects.get(name, [])) for name in ENDPOINTS}
        index = cls(version, objects)
        for name, objs in objects.items():
            index.by_id[name] = {o["id"]: o for o in objs}
            index._text[name] = [_fold(" ".join(str(o.get(f) or "") for f in _SEARCH_FIELDS[name])) for o in objs]
        index.term_taxonomy = {t["id"]: t["taxonomy_id"] for t in objects["taxonomy_terms"] if t.get("taxonomy_id")}
        for s in objects["services"]:
            index.service_terms[s["id"]] = {a["taxonomy_term_id"] for a in s.get("attributes", [])}
            if s.get("organization_id"):
                index.org_services.setdefault(s["organization_id"], []).append(s)
        return index

    def get(self, endpoint: str, object_id: str, *, full_service: bool = False) -> dict[str, Any] | None:
        """One object by id, or None. An organisation carries its services (HSDS: "fully nested
        organization with service array"), with their one-to-one fields unless `full_service`."""
        obj = self.by_id[endpoint].get(object_id)
        if obj is None or endpoint != "organizations":
            return obj
        return self._with_services(obj, full=full_service, always=True)

    def _with_services(self, org: dict[str, Any], *, full: bool, always: bool) -> dict[str, Any]:
        services = self.org_services.get(org["id"], [])
        if not services or not (full or always):
            return org
        return {**org, "services": [s if full else one_to_one(s) for s in services]}

    def select(self, endpoint: str, *, search: str | None = None, taxonomy_term_id: str | None = None,
               taxonomy_id: str | None = None, organization_id: str | None = None, parent_id: str | None = None,
               top_only: bool = False, full_service: bool = False) -> list[dict[str, Any]]:
        """The objects of a list endpoint that pass every given filter (AND), in the export's order."""
        words = _fold(search).split() if search else []
        out = []
        for obj, text in zip(self.objects[endpoint], self._text[endpoint], strict=True):
            if words and not all(w in text for w in words):
                continue
            if not self._passes(endpoint, obj, taxonomy_term_id, taxonomy_id, organization_id, parent_id, top_only):
                continue
            out.append(self._with_services(obj, full=True, always=False) if full_service and
                       endpoint == "organizations" else obj)
        return out

    def _passes(self, endpoint: str, obj: Mapping[str, Any], term: str | None, taxonomy: str | None,
                org: str | None, parent: str | None, top_only: bool) -> bool:
        if endpoint == "taxonomy_terms":
            return ((taxonomy is None or obj.get("taxonomy_id") == taxonomy)
                    and (parent is None or obj.get("parent_id") == parent)
                    and (not top_only or not obj.get("parent_id")))
        if endpoint in ("services", "service_at_locations"):
            service_id = obj["id"] if endpoint == "services" else obj.get("service_id", "")
            service = self.by_id["services"].get(service_id, {})
            terms = self.service_terms.get(service_id, set())
            return ((term is None or term in terms)
                    and (taxonomy is None or any(self.term_taxonomy.get(t) == taxonomy for t in terms))
                    and (org is None or service.get("organization_id") == org))
        return True


def page(objects: list[dict[str, Any]], page_number: int, per_page: int) -> dict[str, Any]:
    """One page of `objects` with the HSDS `Page` fields (total_items, total_pages, page_number,
    size, first_page, last_page, empty) and `contents`. An empty list has one (empty) page; a page
    past the last is empty and says so."""
    total = len(objects)
    pages = max(1, math.ceil(total / per_page))
    contents = objects[(page_number - 1) * per_page: page_number * per_page]
    return {"total_items": total, "total_pages": pages, "page_number": page_number, "size": len(contents),
            "first_page": page_number == 1, "last_page": page_number >= pages, "empty": not contents,
            "contents": contents}


def check_paging(page_number: int, per_page: int) -> None:
    """400 for a page below 1 or a page size outside 1…MAX_PER_PAGE."""
    if page_number < 1:
        raise BadRequest("page must be 1 or more", de="page muss 1 oder größer sein")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}",
                         de=f"per_page muss zwischen 1 und {MAX_PER_PAGE} liegen")


def refuse_unsupported(params: Iterable[str]) -> None:
    """400 for the HSDS filters the model cannot answer (see the module docstring)."""
    for name in params:
        if name == "modified_after":
            raise BadRequest("modified_after is not supported: the graph records no modification times",
                             de="modified_after wird nicht unterstützt: der Graph kennt keine Änderungszeiten")
        if name in ("postcode", "proximity"):
            raise BadRequest(f"{name} is not supported: the graph has no coordinates or postcode areas of services",
                             de=f"{name} wird nicht unterstützt: der Graph kennt keine Koordinaten oder "
                                "Postleitzahlgebiete von Angeboten")


#: The API follows HSDS without a profile: `profile` names the specification's schema reference.
PROFILE = "https://docs.openreferral.org/en/latest/hsds/schema_reference.html"


def meta(openapi_url: str) -> dict[str, Any]:
    """The API root (`/`): HSDS version, profile and where the OpenAPI document is."""
    return {"version": HSDS_VERSION, "profile": PROFILE, "openapi_url": openapi_url}


class HsdsCache:
    """The HsdsIndex of the current store version (built on first use after a change)."""

    def __init__(self, get_store: Callable[[], QueryStore], get_version: Callable[[], str]) -> None:
        self._get_store, self._get_version = get_store, get_version
        self._lock = threading.Lock()
        self._index: HsdsIndex | None = None

    def index(self) -> HsdsIndex:
        version = self._get_version()
        with self._lock:
            if self._index is None or self._index.version != version:
                self._index = HsdsIndex.build(self._get_store(), version)
            return self._index
