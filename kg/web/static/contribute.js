// /beitragen and /beitragen/pruefen (kg/web/routes/contributions.py).
// The token typed into the page goes only into the Authorization header of this page's requests
// (never a cookie, never storage), which is also the CSRF protection: a form on another site
// cannot set that header. Report and change come from the server as escaped HTML (`html`,
// kg/web/render/contribute.py); messages are set with textContent.
"use strict";

(function () {
  const root = (document.querySelector('script[src$="/static/contribute.js"]').getAttribute("src") || "")
    .replace(/\/static\/contribute\.js$/, "");
  const $ = (id) => document.getElementById(id);

  function lang(form) {
    return (form && form.dataset.lang) || document.documentElement.lang || "de";
  }

  function say(text, ok) {
    const s = $("status");
    s.textContent = text;
    s.className = ok ? "ok" : "error";
  }

  async function call(method, path, token, body, headers) {
    const h = Object.assign({ Authorization: "Bearer " + token, Accept: "application/json" }, headers || {});
    const r = await fetch(root + path, { method: method, headers: h, body: body, credentials: "omit" });
    const type = r.headers.get("content-type") || "";
    const data = type.indexOf("application/json") >= 0 ? await r.json() : { message: await r.text() };
    return { status: r.status, data: data };
  }

  // ------------------------------------------------------------------ submit page
  const form = $("contribute-form");
  if (form) {
    const l = lang(form);
    const T = l === "de"
      ? { checking: "Wird geprüft …", okcheck: "Keine Fehler: Sie können einreichen.",
          errors: "Die Datei hat Fehler (markiert); bitte korrigieren und erneut prüfen.",
          pending: "Eingereicht: der Beitrag wartet auf Prüfung. Nummer: ", invalid: "Mit Fehlern gespeichert (ungültig). Nummer: " }
      : { checking: "Checking …", okcheck: "No errors: you can submit.",
          errors: "The file has errors (marked); please correct it and check again.",
          pending: "Submitted: the contribution waits for review. Number: ", invalid: "Kept with errors (invalid). Number: " };
    const submitButton = $("submit");
    form.addEventListener("change", function () { submitButton.disabled = true; });

    async function send(onlyCheck) {
      const fd = new FormData(form);
      const token = fd.get("token");
      fd.delete("token");
      if (onlyCheck) fd.set("check", "1");
      say(T.checking, true);
      const r = await call("POST", "/api/contributions?lang=" + encodeURIComponent(l), token, fd);
      const result = $("result");
      result.innerHTML = r.data.html || "";
      if (r.status === 200) {
        const bad = (r.data.problems || []).some((p) => p.severity === "error");
        say(bad ? T.errors : T.okcheck, !bad);
        submitButton.disabled = bad;
      } else if (r.status === 201) {
        say(T.pending + r.data.id, true);
        submitButton.disabled = true;
      } else if (r.status === 422 && r.data.id) {
        say(T.invalid + r.data.id, false);
        submitButton.disabled = true;
      } else {
        say(r.data.message || ("HTTP " + r.status), false);
        submitButton.disabled = true;
      }
    }
    $("check").addEventListener("click", function () { send(true); });
    submitButton.addEventListener("click", function () { send(false); });
  }

  // ------------------------------------------------------------------ review page
  const review = $("review-form");
  if (review) {
    const l = lang(review);
    const T = l === "de"
      ? { none: "Keine offenen Beiträge.", loaded: "Offene Beiträge: ", approved: "Freigegeben: ", rejected: "Abgelehnt: " }
      : { none: "No open contributions.", loaded: "Open contributions: ", approved: "Approved: ", rejected: "Rejected: " };
    const list = $("list");
    const token = () => $("token").value;

    async function load() {
      const r = await call("GET", "/api/contributions?status=pending", token());
      if (r.status !== 200) { say(r.data.message || ("HTTP " + r.status), false); return; }
      list.textContent = "";
      const items = r.data.contributions || [];
      for (const c of items) {
        const one = await call("GET", "/api/contributions/" + encodeURIComponent(c.id) + "?lang=" + l, token());
        const div = document.createElement("div");
        div.innerHTML = one.data.html || "";
        list.appendChild(div);
      }
      say(items.length ? T.loaded + items.length : T.none, true);
    }

    list.addEventListener("click", async function (ev) {
      const b = ev.target.closest("button.approve, button.reject");
      if (!b) return;
      const section = b.closest("section.contribution");
      const comment = section.querySelector("textarea.decision-comment").value;
      const action = b.classList.contains("approve") ? "approve" : "reject";
      const r = await call("POST", "/api/contributions/" + encodeURIComponent(b.dataset.id) + "/" + action + "?lang=" + l,
        token(), JSON.stringify({ comment: comment }), { "Content-Type": "application/json" });
      if (r.status === 200) {
        section.parentNode.innerHTML = r.data.html || "";
        say((action === "approve" ? T.approved : T.rejected) + b.dataset.id, true);
      } else {
        say(r.data.message || ("HTTP " + r.status), false);
      }
    });
    $("load").addEventListener("click", load);
  }
})();
