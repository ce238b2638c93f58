/* hilfenetz query page: example list, run via POST /sparql, results, downloads, errors.
 *
 * The page is an ordinary SPARQL protocol client of /sparql (same origin), so it exercises
 * exactly the public endpoint. Data never reaches innerHTML (see results.js).
 */
"use strict";

(function () {
  const DEFAULT_QUERY =
    "SELECT ?class (COUNT(?s) AS ?n)\nWHERE {\n  ?s a ?class .\n}\nGROUP BY ?class\nORDER BY DESC(?n)\nLIMIT 20\n";
  const FORMATS = {
    results: [["json", "JSON", "json"], ["xml", "XML", "srx"], ["csv", "CSV", "csv"], ["tsv", "TSV", "tsv"]],
    graph: [["ttl", "Turtle", "ttl"], ["nt", "N-Triples", "nt"], ["nq", "N-Quads", "nq"], ["trig", "TriG", "trig"],
            ["jsonld", "JSON-LD", "jsonld"], ["rdfxml", "RDF/XML", "rdf"]],
  };

  const $ = (id) => document.getElementById(id);
  const prefixes = JSON.parse($("hn-prefixes").textContent || "{}");
  let editor = null;
  let running = null; // AbortController of the query in flight
  let lastRun = null; // {query, kind} of the last successful run, for downloads

  function prefixBlock() {
    return Object.entries(prefixes).map(([p, ns]) => `PREFIX ${p}: <${ns}>`).join("\n") + "\n";
  }

  /** SELECT / ASK / CONSTRUCT / DESCRIBE of a query text (comments, IRIs, strings ignored). */
  function queryForm(text) {
    const code = text
      .replace(/<[^<>\s]*>/g, " ")
      .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, " ")
      .replace(/#[^\n]*/g, " ");
    const m = /\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b/i.exec(code);
    return m ? m[1].toUpperCase() : "SELECT";
  }
  const isGraphForm = (form) => form === "CONSTRUCT" || form === "DESCRIBE";

  function setStatus(text) { $("status").textContent = text; }

  function showError(title, detail) {
    $("error-title").textContent = title;
    $("error-text").textContent = detail;
    $("error-box").hidden = false;
  }
  function clearError() {
    $("error-box").hidden = true;
    $("error-title").textContent = "";
    $("error-text").textContent = "";
  }

  /** The message of an error response: the body text, or `detail`/`message` of a JSON body. */
  async function errorDetail(res) {
    const text = await res.text();
    const type = res.headers.get("content-type") || "";
    if (type.includes("json")) {
      try {
        const j = JSON.parse(text);
        const d = j.detail ?? j.message ?? j.error;
        if (typeof d === "string") return d;
        if (d !== undefined) return JSON.stringify(d, null, 2);
      } catch (e) { /* not JSON after all: show the text */ }
    }
    return text || res.statusText;
  }

  function titleForStatus(status) {
    if (status === 400) return "Die Abfrage ist fehlerhaft (query error, HTTP 400)";
    if (status === 503) return "Zeitüberschreitung – die Abfrage dauerte zu lange oder der Server ist ausgelastet (timeout, HTTP 503)";
    if (status === 413) return "Die Abfrage ist zu groß (HTTP 413)";
    return `Fehler vom Server (HTTP ${status})`;
  }

  function sparqlRequest(query, accept, format, signal) {
    const body = new URLSearchParams({ query });
    let url = "/sparql";
    // `format` goes into the URL only: the server reads URL and form parameters together.
    if (format) url += "?format=" + encodeURIComponent(format);
    return fetch(url, {
      method: "POST",
      headers: { "Accept": accept, "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
      body,
      signal,
    });
  }

  async function run() {
    const query = editor.getValue();
    if (!query.trim()) return;
    if (running) running.abort();
    const ctrl = new AbortController();
    running = ctrl;
    const form = queryForm(query);
    const graph = isGraphForm(form);
    const accept = graph ? "text/turtle" : "application/sparql-results+json";
    clearError();
    $("run").disabled = true;
    $("downloads").hidden = true;
    document.body.dataset.state = "running";
    setStatus("Läuft … (running)");
    const t0 = performance.now();
    let answering = false; // the status line arrived: a failure from here on cut the answer off
    try {
      const res = await sparqlRequest(query, accept, null, ctrl.signal);
      answering = res.ok;
      if (!res.ok) {
        const detail = await errorDetail(res);
        const ms = Math.round(performance.now() - t0);
        $("result").replaceChildren();
        showError(titleForStatus(res.status), detail);
        setStatus(`Fehler nach ${ms} ms`);
        document.body.dataset.state = "error";
        return;
      }
      const type = res.headers.get("content-type") || "";
      const out = $("result");
      let summary;
      if (type.includes("sparql-results+json") || type.includes("application/json")) {
        const json = await res.json();
        if (typeof json.boolean === "boolean") {
          HnResults.renderAsk(json, out);
          summary = "ASK";
        } else {
          const n = HnWorkbench.renderSelect(json, out, prefixes);
          summary = `${n} ${n === 1 ? "Ergebnis" : "Ergebnisse"} (results)`;
        }
      } else {
        HnResults.renderGraph(await res.text(), out);
        summary = "Graph (Turtle)";
      }
      const ms = Math.round(performance.now() - t0);
      setStatus(`${summary} · ${ms} ms`);
      lastRun = { query, graph };
      history.replaceState(null, "", HnWorkbench.shareUrl(query));
      showDownloads(graph);
      document.body.dataset.state = "done";
    } catch (err) {
      if (err.name === "AbortError") return;
      if (answering) {
        // large answers are streamed; one that passes the time or row limit after its first
        // part is cut off by the server (the connection closes before the end)
        showError("Antwort abgebrochen (answer cut off)",
          "Der Server hat die Antwort abgebrochen: Zeitlimit oder Zeilenlimit überschritten. " +
          "LIMIT verwenden oder die Abfrage einschränken. / The server cut the answer off: it passed " +
          "the time or the row limit. Add LIMIT or narrow the query.");
        $("result").replaceChildren();
        setStatus("");
        document.body.dataset.state = "error";
        return;
      }
      showError("Server nicht erreichbar (network error)", String(err && err.message ? err.message : err));
      setStatus("");
      document.body.dataset.state = "error";
    } finally {
      if (running === ctrl) {
        running = null;
        $("run").disabled = false;
      }
    }
  }

  function showDownloads(graph) {
    const box = $("download-buttons");
    const buttons = (graph ? FORMATS.graph : FORMATS.results).map(([fmt, label, ext]) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "download";
      b.dataset.format = fmt;
      b.textContent = label;
      b.title = `/sparql?format=${fmt}`;
      b.addEventListener("click", () => download(fmt, ext));
      return b;
    });
    box.replaceChildren(...buttons);
    $("downloads").hidden = false;
  }

  /** Fetch the last query in `fmt` (POST /sparql?format=…) and save it as a file. */
  async function download(fmt, ext) {
    if (!lastRun) return;
    clearError();
    try {
      const res = await sparqlRequest(lastRun.query, "*/*", fmt, undefined);
      if (!res.ok) {
        showError(titleForStatus(res.status), await errorDetail(res));
        return;
      }
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `hilfenetz-ergebnis.${ext}`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      showError("Download fehlgeschlagen (download failed)", String(err && err.message ? err.message : err));
    }
  }

  function renderExamples(items) {
    const list = $("examples-list");
    $("examples-empty").hidden = items.length > 0;
    const nodes = items.map((ex) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "example";
      b.dataset.name = ex.name;
      const de = document.createElement("span");
      de.className = "ex-title";
      de.textContent = ex.title.de;
      b.appendChild(de);
      if (ex.title.en && ex.title.en !== ex.title.de) {
        const en = document.createElement("span");
        en.className = "ex-title-en";
        en.lang = "en";
        en.textContent = ex.title.en;
        b.appendChild(en);
      }
      const desc = ex.description.de || ex.description.en;
      if (desc) {
        const d = document.createElement("span");
        d.className = "ex-desc";
        d.textContent = desc.length > 140 ? desc.slice(0, 139) + "…" : desc;
        b.appendChild(d);
      }
      b.addEventListener("click", () => {
        for (const other of list.querySelectorAll("button.example")) other.classList.remove("selected");
        b.classList.add("selected");
        editor.setValue(ex.query);
        clearError();
        const params = (ex.params || []).length ? ` · Parameter (Vorgabe im Text): ${ex.params.join("; ")}` : "";
        setStatus((desc || "") + params);
        editor.focus();
      });
      li.appendChild(b);
      return li;
    });
    list.replaceChildren(...nodes);
  }

  async function loadExamples() {
    try {
      const res = await fetch("/api/examples", { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      renderExamples(await res.json());
    } catch (err) {
      $("examples-empty").hidden = false;
      $("examples-empty").textContent = "Beispiele konnten nicht geladen werden: " + String(err.message || err);
    }
    document.body.dataset.examples = "loaded";
  }

  document.addEventListener("DOMContentLoaded", () => {
    editor = HnEditor.createEditor($("editor"), run);
    const shared = new URLSearchParams(location.search).get("query");
    editor.setValue(shared || prefixBlock() + "\n" + DEFAULT_QUERY);
    HnWorkbench.attachCompletion($("query-input"), prefixes);
    $("run").addEventListener("click", run);
    $("share").addEventListener("click", async () => {
      const url = HnWorkbench.shareUrl(editor.getValue());
      const box = $("share-url");
      box.value = url;
      box.hidden = false;
      box.focus();
      box.select();
      history.replaceState(null, "", url);
      try { await navigator.clipboard.writeText(url); setStatus("Link kopiert (link copied)"); }
      catch (err) { setStatus("Link zum Teilen steht im Feld (the link is in the field)"); }
    });
    if (shared) run();
    $("reset").addEventListener("click", () => {
      const text = editor.getValue();
      const body = text.replace(/^(\s*(PREFIX\s+[^\n]*|#[^\n]*)?\n)*/i, "");
      editor.setValue(prefixBlock() + "\n" + body);
    });
    loadExamples();
  });
})();
