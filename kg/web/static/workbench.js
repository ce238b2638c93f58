/* hilfenetz query workbench: what the plain editor (editor.js) and table (results.js) lack.
 *
 * - Autocompletion (ARIA listbox under the editor): prefixes (the project's), classes and
 *   properties of the ontology (/api/vocabulary) for a prefixed name being typed, entities from
 *   the search index (/api/search) for a word of three letters or more; Ctrl+Space opens it,
 *   ArrowUp/ArrowDown choose, Enter or Tab insert, Escape closes.
 * - A link that reproduces the query: /?query=… (opening it fills the editor and runs the query).
 * - Results sortable (column buttons, aria-sort) and paged (page size 25/100/500/all).
 * - A chart view for numeric results: a bar chart (SVG) of the first numeric column against the
 *   first text column, in the table's current order.
 * Why no library: see docs/ui.md (bundle size, CSP, offline); everything is built with DOM
 * methods and textContent, never from HTML strings.
 */
"use strict";

(function () {
  const HNID = "https://w3id.org/hilfenetz/id/";
  const NUMERIC = /#(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|positiveInteger|unsignedInt|unsignedLong)$/;

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  // ------------------------------------------------------------------ autocompletion
  function attachCompletion(area, prefixes) {
    const list = document.getElementById("completion");
    const status = document.getElementById("completion-status");
    let vocab = [];
    let items = [];
    let active = -1;
    let range = null; // [start, end] of the token being completed
    let seq = 0;
    let timer = null;

    fetch("/api/vocabulary", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : []))
      .then((terms) => { vocab = terms; })
      .catch(() => {});

    function close() {
      list.hidden = true;
      list.replaceChildren();
      items = [];
      active = -1;
      area.setAttribute("aria-expanded", "false");
      area.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      active = i;
      items.forEach((it, j) => it.node.setAttribute("aria-selected", j === i ? "true" : "false"));
      if (i >= 0) {
        area.setAttribute("aria-activedescendant", items[i].node.id);
        items[i].node.scrollIntoView({ block: "nearest" });
      }
    }
    function insert(i) {
      const it = items[i];
      if (!it || !range) return;
      area.setRangeText(it.text, range[0], range[1], "end");
      area.dispatchEvent(new Event("input"));
      close();
      area.focus();
    }
    function show(options) {
      list.replaceChildren();
      items = options.slice(0, 12).map((o, i) => {
        const li = el("li");
        li.id = "completion-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(el("code", null, o.text));
        if (o.hint) li.appendChild(el("span", "muted", " " + o.hint));
        li.addEventListener("mousedown", (ev) => { ev.preventDefault(); insert(i); });
        list.appendChild(li);
        return { node: li, text: o.text };
      });
      const open = items.length > 0;
      list.hidden = !open;
      area.setAttribute("aria-expanded", open ? "true" : "false");
      status.textContent = open ? `${items.length} Vorschläge (suggestions)` : "";
      if (open) mark(0);
    }
    function curie(iri) {
      for (const [p, base] of Object.entries(prefixes)) {
        if (iri.startsWith(base) && /^[A-Za-z0-9_.-]+$/.test(iri.slice(base.length))) return p + ":" + iri.slice(base.length);
      }
      return "<" + iri + ">";
    }
    function complete(force) {
      const pos = area.selectionStart;
      const before = area.value.slice(0, pos);
      const m = /([A-Za-z][\w.-]*:?[\w.-]*)$/.exec(before);
      if (!m) { close(); return; }
      const token = m[1];
      range = [pos - token.length, pos];
      const lower = token.toLowerCase();
      if (token.includes(":")) {
        const [p, local] = token.split(":", 2);
        const base = prefixes[p];
        const out = [];
        if (base) {
          for (const t of vocab) {
            if (!t.iri.startsWith(base)) continue;
            const name = t.iri.slice(base.length);
            const label = (t.de || "") + " " + (t.en || "");
            if (name.toLowerCase().startsWith(local.toLowerCase()) || (local.length >= 2 && label.toLowerCase().includes(local.toLowerCase()))) {
              out.push({ text: p + ":" + name, hint: `${t.kind === "class" ? "Klasse" : "Eigenschaft"} · ${t.de || t.en}` });
            }
          }
        }
        show(out);
        return;
      }
      const out = [];
      for (const p of Object.keys(prefixes)) {
        if (p.toLowerCase().startsWith(lower)) out.push({ text: p + ":", hint: "Präfix · " + prefixes[p] });
      }
      if (token.length < 3 && !force) { show(force ? out : []); return; }
      show(out);
      const mine = ++seq;
      fetch("/api/search?limit=8&q=" + encodeURIComponent(token), { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : { hits: [] }))
        .then((data) => {
          if (mine !== seq) return;
          const ents = (data.hits || []).map((h) => ({
            text: curie(h.iri), hint: [h.display || h.label, h.kindLabel, h.place].filter(Boolean).join(" · "),
          }));
          show(out.concat(ents));
        })
        .catch(() => {});
    }
    area.setAttribute("role", "combobox");
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", "completion");
    area.setAttribute("aria-expanded", "false");
    area.addEventListener("keydown", (ev) => {
      if (ev.key === " " && ev.ctrlKey) { ev.preventDefault(); complete(true); return; }
      if (list.hidden) return;
      if (ev.key === "ArrowDown") { ev.preventDefault(); ev.stopImmediatePropagation(); mark((active + 1) % items.length); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); ev.stopImmediatePropagation(); mark((active - 1 + items.length) % items.length); }
      else if ((ev.key === "Enter" && !ev.ctrlKey && !ev.metaKey) || ev.key === "Tab") {
        if (active >= 0) { ev.preventDefault(); ev.stopImmediatePropagation(); insert(active); }
      } else if (ev.key === "Escape") { ev.preventDefault(); close(); }
    }, true);
    area.addEventListener("input", (ev) => {
      if (!ev.isTrusted) return;
      clearTimeout(timer);
      timer = setTimeout(() => complete(false), 120);
    });
    area.addEventListener("blur", () => setTimeout(close, 150));
  }

  // ------------------------------------------------------------------ results: sort, pages, chart
  function sortKey(term) {
    if (!term) return [2, ""];
    if (term.type === "literal" && term.datatype && NUMERIC.test(term.datatype)) return [0, Number(term.value)];
    return [1, String(term.value).toLowerCase()];
  }

  function renderSelect(json, container, prefixes) {
    const vars = (json.head && json.head.vars) || [];
    const rows = ((json.results && json.results.bindings) || []).slice();
    const state = { sortVar: null, dir: 1, page: 0, size: 100, view: "table" };
    const numericVar = vars.find((v) => rows.length > 0 && rows.every((r) => r[v] && r[v].type === "literal" && r[v].datatype && NUMERIC.test(r[v].datatype)));
    const labelVar = vars.find((v) => v !== numericVar);

    const bar = el("div", "result-bar");
    const sizeLabel = el("label", null, "Zeilen je Seite (rows per page) ");
    sizeLabel.htmlFor = "page-size";
    const size = el("select");
    size.id = "page-size";
    for (const [value, text] of [["25", "25"], ["100", "100"], ["500", "500"], ["all", "alle (all)"]]) {
      const o = el("option", null, text);
      o.value = value;
      if (value === "100") o.selected = true;
      size.appendChild(o);
    }
    sizeLabel.appendChild(size);
    bar.appendChild(sizeLabel);
    let chartBtn = null;
    if (numericVar && labelVar) {
      chartBtn = el("button", null, "Diagramm (chart)");
      chartBtn.type = "button";
      chartBtn.id = "chart-toggle";
      chartBtn.setAttribute("aria-pressed", "false");
      bar.appendChild(chartBtn);
    }
    const body = el("div", "result-body");
    const pager = el("nav", "pager");
    pager.setAttribute("aria-label", "Seiten (pages)");
    container.replaceChildren(bar, body, pager);
    if (rows.length === 0) container.appendChild(el("p", "muted", "Keine Treffer (no results)."));

    function ordered() {
      if (!state.sortVar) return rows;
      const v = state.sortVar;
      return rows.slice().sort((a, b) => {
        const ka = sortKey(a[v]), kb = sortKey(b[v]);
        if (ka[0] !== kb[0]) return ka[0] - kb[0];
        return (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0) * state.dir;
      });
    }
    function drawTable(list) {
      const table = el("table", "result-table");
      const thead = el("thead");
      const hr = el("tr");
      hr.appendChild(el("th", "rownum", "#"));
      for (const v of vars) {
        const th = el("th");
        th.setAttribute("scope", "col");
        th.setAttribute("aria-sort", state.sortVar === v ? (state.dir > 0 ? "ascending" : "descending") : "none");
        const b = el("button", "sort", "?" + v);
        b.type = "button";
        b.title = "Sortieren (sort)";
        b.addEventListener("click", () => {
          state.dir = state.sortVar === v ? -state.dir : 1;
          state.sortVar = v;
          state.page = 0;
          draw();
          const again = container.querySelector(`th button.sort[data-var="${v}"]`);
          if (again) again.focus();
        });
        b.dataset.var = v;
        th.appendChild(b);
        hr.appendChild(th);
      }
      thead.appendChild(hr);
      table.appendChild(thead);
      const tbody = el("tbody");
      const per = state.size === "all" ? list.length : state.size;
      const start = state.page * per;
      list.slice(start, start + per).forEach((row, i) => {
        const tr = el("tr");
        tr.appendChild(el("td", "rownum", String(start + i + 1)));
        for (const v of vars) {
          const td = el("td");
          td.dataset.var = v;
          td.appendChild(HnResults.termNode(row[v], prefixes));
          tr.appendChild(td);
        }
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      const wrap = el("div", "table-wrap");
      wrap.appendChild(table);
      body.replaceChildren(wrap);
    }
    function text(term) {
      if (!term) return "";
      if (term.type === "uri") return HnResults.shortenIri(term.value, prefixes);
      return term.value;
    }
    function drawChart(list) {
      const data = list.slice(0, 40);
      const max = Math.max(...data.map((r) => Number(r[numericVar].value)), 0) || 1;
      const ns = "http://www.w3.org/2000/svg";
      const rowH = 22, labelW = 260, barW = 420, h = data.length * rowH + 10;
      const svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", `0 0 ${labelW + barW + 90} ${h}`);
      svg.setAttribute("width", "100%");
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", `Balkendiagramm: ?${numericVar} je ?${labelVar} (bar chart)`);
      svg.classList.add("chart");
      data.forEach((r, i) => {
        const y = 5 + i * rowH;
        const value = Number(r[numericVar].value);
        const t = document.createElementNS(ns, "text");
        t.setAttribute("x", String(labelW - 6));
        t.setAttribute("y", String(y + 15));
        t.setAttribute("text-anchor", "end");
        const label = text(r[labelVar]);
        t.textContent = label.length > 38 ? label.slice(0, 37) + "…" : label;
        const rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", String(labelW));
        rect.setAttribute("y", String(y + 3));
        rect.setAttribute("height", String(rowH - 6));
        rect.setAttribute("width", String(Math.max(1, (value / max) * barW)));
        rect.setAttribute("fill", "#23395d");
        const v = document.createElementNS(ns, "text");
        v.setAttribute("x", String(labelW + (value / max) * barW + 6));
        v.setAttribute("y", String(y + 15));
        v.textContent = value.toLocaleString(document.documentElement.lang || "de");
        svg.append(t, rect, v);
      });
      const fig = el("figure", "chart-wrap");
      fig.appendChild(svg);
      const cap = el("figcaption", "muted",
        `?${numericVar} je ?${labelVar}` + (list.length > data.length ? ` – die ersten ${data.length} von ${list.length}` : ""));
      fig.appendChild(cap);
      body.replaceChildren(fig);
    }
    function drawPager(total) {
      pager.replaceChildren();
      if (state.view !== "table" || state.size === "all" || total <= state.size) return;
      const pages = Math.ceil(total / state.size);
      const prev = el("button", null, "← zurück (previous)");
      prev.type = "button";
      prev.disabled = state.page === 0;
      prev.addEventListener("click", () => { state.page--; draw(); });
      const next = el("button", null, "weiter (next) →");
      next.type = "button";
      next.id = "page-next";
      next.disabled = state.page >= pages - 1;
      next.addEventListener("click", () => { state.page++; draw(); });
      const info = el("span", "muted", ` Seite ${state.page + 1} von ${pages} (page) `);
      info.id = "page-info";
      pager.append(prev, info, next);
    }
    function draw() {
      const list = ordered();
      if (state.view === "chart") drawChart(list); else drawTable(list);
      drawPager(list.length);
    }
    size.addEventListener("change", () => {
      state.size = size.value === "all" ? "all" : Number(size.value);
      state.page = 0;
      draw();
    });
    if (chartBtn) {
      chartBtn.addEventListener("click", () => {
        state.view = state.view === "chart" ? "table" : "chart";
        chartBtn.setAttribute("aria-pressed", state.view === "chart" ? "true" : "false");
        draw();
      });
    }
    draw();
    return rows.length;
  }

  // ------------------------------------------------------------------ share link
  function shareUrl(query) {
    const u = new URL(location.href);
    u.search = "";
    u.hash = "";
    u.searchParams.set("query", query);
    return u.toString();
  }

  window.HnWorkbench = { attachCompletion, renderSelect, shareUrl };
})();
