/* Suggestions while typing in the header search box: the ARIA 1.2 combobox pattern
   (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/), no framework.
   Why a separate small file: every page of the site (entity pages, search, ontology, the query
   UI) has the box; it only needs /api/search, which answers from the in-memory index.
   Keys: ArrowDown/ArrowUp move through the list, Enter opens the chosen entity (or submits the
   form when none is chosen), Escape closes the list; a mouse click opens an entry. */
(function () {
  "use strict";
  function init(input) {
    var form = input.form;
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!form || !list) return;
    var root = (form.getAttribute("action") || "/search").replace(/\/search$/, "");
    var lang = document.documentElement.lang === "en" ? "en" : "de";
    var items = [];
    var active = -1;
    var timer = null;
    var seq = 0;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      active = i;
      items.forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function href(iri) {
      var base = "https://w3id.org/hilfenetz/id/";
      return iri.indexOf(base) === 0 ? root + "/id/" + iri.slice(base.length) : iri;
    }
    function show(hits) {
      list.innerHTML = "";
      items = hits.map(function (h, i) {
        var li = document.createElement("li");
        li.id = input.id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.href = href(h.iri);
        var name = document.createElement("span");
        name.textContent = h.display || h.label;
        li.appendChild(name);
        var meta = [h.kindLabel, h.place].filter(Boolean).join(" · ");
        if (meta) {
          var m = document.createElement("span");
          m.className = "muted";
          m.textContent = meta;
          li.appendChild(m);
        }
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); location.href = li.dataset.href; });
        list.appendChild(li);
        return li;
      });
      active = -1;
      var open = items.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
    }
    function lookup() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      var mine = ++seq;
      fetch(root + "/api/search?limit=8&lang=" + lang + "&q=" + encodeURIComponent(q), {headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {hits: []}; })
        .then(function (data) { if (mine === seq) show(data.hits || []); })
        .catch(function () { if (mine === seq) close(); });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") {
        if (!items.length) { lookup(); return; }
        ev.preventDefault();
        mark(active + 1 >= items.length ? 0 : active + 1);
      } else if (ev.key === "ArrowUp") {
        if (!items.length) return;
        ev.preventDefault();
        mark(active <= 0 ? items.length - 1 : active - 1);
      } else if (ev.key === "Enter") {
        if (active >= 0 && items[active]) {
          ev.preventDefault();
          location.href = items[active].dataset.href;
        }
      } else if (ev.key === "Escape") {
        if (!list.hidden) { ev.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 120); });
  }
  function start() {
    var boxes = document.querySelectorAll("input[role=combobox][data-suggest], #hsearch-q");
    Array.prototype.forEach.call(boxes, init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
