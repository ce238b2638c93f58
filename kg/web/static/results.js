/* hilfenetz result rendering: SPARQL JSON results as a table, ASK as yes/no, graphs as text.
 *
 * Everything that comes from the graph is put into the page with textContent or as an
 * attribute value; links are only made for http(s) IRIs, so data can never inject markup
 * or a javascript: URL.
 */
"use strict";

(function () {
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
  const MAX_ROWS = 5000; // rendering more makes the page sluggish; downloads have everything
  const CANONICAL_BASE = "https://w3id.org/hilfenetz/"; // kg.web.render.pages.CANONICAL_BASE + "/"
  const LOCAL_NAME = /^[A-Za-z0-9_\-.~%\u00C0-\uFFFF/]*$/;

  /** `prefix:local` for an IRI under one of the prefixes (longest namespace wins), else null. */
  function shortenIri(iri, prefixes) {
    let best = null;
    for (const [p, ns] of Object.entries(prefixes)) {
      if (iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [p, ns];
    }
    if (!best) return null;
    const local = iri.slice(best[1].length);
    if (!LOCAL_NAME.test(local) || local.endsWith(".")) return null;
    return best[0] + ":" + local;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function isWebIri(iri) {
    return /^https?:\/\//i.test(iri);
  }

  /** Where a link to `iri` should go: this server's own page for the project's IRIs
   *  (`https://w3id.org/hilfenetz/id/…` → `./id/…`, as the entity pages link, kg.web.render.pages
   *  local_href), because w3id.org is unreachable offline and points to the public service, not
   *  to a private deployment; any other IRI itself. Relative, so a deployment under a sub-path works. */
  function localHref(iri) {
    if (!iri.startsWith(CANONICAL_BASE)) return iri;
    const rest = iri.slice(CANONICAL_BASE.length);
    return /^[A-Za-z]/.test(rest) ? "./" + rest : iri;
  }

  /** One RDF term (SPARQL JSON binding) as a DOM node. */
  function termNode(term, prefixes) {
    if (!term) return el("span", "term-unbound", "");
    if (term.type === "uri") {
      const short = shortenIri(term.value, prefixes);
      const node = isWebIri(term.value) ? el("a", "term-iri") : el("span", "term-iri");
      node.textContent = short || "<" + term.value + ">";
      node.title = term.value;
      if (node.tagName === "A") {
        node.href = localHref(term.value);
        node.target = "_blank";
        node.rel = "noopener noreferrer";
      }
      return node;
    }
    if (term.type === "bnode") return el("span", "term-bnode", "_:" + term.value);
    if (term.type === "triple") {
      const span = el("span", "term-triple", "<< ");
      for (const k of ["subject", "predicate", "object"]) {
        span.appendChild(termNode(term.value[k], prefixes));
        span.appendChild(document.createTextNode(" "));
      }
      span.appendChild(document.createTextNode(">>"));
      return span;
    }
    // literal (also "typed-literal" from older serialisers)
    const span = el("span", "term-literal");
    span.appendChild(el("span", "lit-value", term.value));
    const lang = term["xml:lang"];
    const dt = term.datatype;
    if (lang) {
      const tag = el("span", "lit-lang", "@" + lang);
      tag.title = "Sprache / language";
      span.appendChild(tag);
    } else if (dt && dt !== XSD + "string" && dt !== RDF_LANGSTRING) {
      const tag = el("span", "lit-dt", "^^" + (shortenIri(dt, prefixes) || "<" + dt + ">"));
      tag.title = dt;
      span.appendChild(tag);
    }
    return span;
  }

  /** Render SELECT results into `container`; returns the number of result rows. */
  function renderSelect(json, container, prefixes) {
    const vars = (json.head && json.head.vars) || [];
    const rows = (json.results && json.results.bindings) || [];
    const table = el("table", "result-table");
    const thead = el("thead");
    const hr = el("tr");
    hr.appendChild(el("th", "rownum", "#"));
    for (const v of vars) hr.appendChild(el("th", null, "?" + v));
    thead.appendChild(hr);
    table.appendChild(thead);
    const tbody = el("tbody");
    const shown = Math.min(rows.length, MAX_ROWS);
    for (let i = 0; i < shown; i++) {
      const tr = el("tr");
      tr.appendChild(el("td", "rownum", String(i + 1)));
      for (const v of vars) {
        const td = el("td");
        td.dataset.var = v;
        td.appendChild(termNode(rows[i][v], prefixes));
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    table.appendChild(tbody);
    const wrap = el("div", "table-wrap");
    wrap.appendChild(table);
    container.replaceChildren(wrap);
    if (rows.length > shown) {
      container.appendChild(el("p", "muted",
        `Nur die ersten ${shown} von ${rows.length} Zeilen werden angezeigt – alle Zeilen über „Herunterladen“.`));
    }
    if (rows.length === 0) container.appendChild(el("p", "muted", "Keine Treffer (no results)."));
    return rows.length;
  }

  /** Render an ASK result. */
  function renderAsk(json, container) {
    const yes = json.boolean === true;
    const p = el("p", "ask-result " + (yes ? "ask-yes" : "ask-no"), yes ? "Ja (yes)" : "Nein (no)");
    container.replaceChildren(p);
  }

  /** Render a graph (CONSTRUCT/DESCRIBE) as its Turtle text. */
  function renderGraph(text, container) {
    const pre = el("pre", "graph-text", text);
    container.replaceChildren(pre);
    if (!text.trim()) container.appendChild(el("p", "muted", "Leerer Graph (empty graph)."));
  }

  window.HnResults = { shortenIri, localHref, termNode, renderSelect, renderAsk, renderGraph };
})();
