/* hilfenetz query editor: a plain <textarea> with line numbers and SPARQL highlighting.
 *
 * Why not a library: no CDN and nothing to vendor; a transparent textarea over a highlighted
 * <pre> keeps native editing (undo, selection, IME, accessibility). The highlight layer is
 * built from text nodes and <span>s (textContent only), never from HTML strings.
 */
"use strict";

(function () {
  const KEYWORDS = new Set((
    "BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED FROM NAMED WHERE GRAPH OPTIONAL " +
    "UNION MINUS FILTER BIND VALUES SERVICE SILENT AS ORDER BY ASC DESC LIMIT OFFSET GROUP HAVING " +
    "NOT EXISTS IN COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR UNDEF A TRUE FALSE " +
    "STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN " +
    "UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY " +
    "HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF " +
    "STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE"
  ).split(" "));

  // One alternation; the first matching group decides the token class.
  const TOKEN = new RegExp([
    "(#[^\\n]*)",                                  // 1 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                      // 3 IRI
    "([?$][A-Za-z0-9_\\u00C0-\\uFFFF]+)",           // 4 variable
    "([A-Za-z][\\w.-]*:[\\w.\\-%:]*|:[\\w.\\-%]+)",  // 5 prefixed name
    "(@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",               // 6 language tag
    "([A-Za-z_][A-Za-z_0-9]*)",                     // 7 word (keyword?)
    "(\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)",          // 8 number
  ].join("|"), "g");
  const CLASSES = [null, "tok-comment", "tok-string", "tok-iri", "tok-var", "tok-pname", "tok-lang", "tok-kw", "tok-num"];

  /** Replace the children of `pre` with highlighted spans for `text`. */
  function highlight(pre, text) {
    const frag = document.createDocumentFragment();
    let last = 0;
    TOKEN.lastIndex = 0;
    let m;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      let group = 1;
      while (group < m.length && m[group] === undefined) group++;
      let cls = CLASSES[group];
      if (group === 7) cls = KEYWORDS.has(m[0].toUpperCase()) ? "tok-kw" : null;
      if (!cls) continue;
      if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = m[0];
      frag.appendChild(span);
      last = m.index + m[0].length;
    }
    // A trailing newline needs a visible character, or the <pre> is one line shorter than the textarea.
    frag.appendChild(document.createTextNode(text.slice(last) + "\n"));
    pre.replaceChildren(frag);
  }

  /** Fill the gutter with 1..n line numbers (only when n changed). */
  function numberLines(gutter, text) {
    const n = text.split("\n").length;
    if (gutter.childElementCount === n) return;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= n; i++) {
      const div = document.createElement("div");
      div.textContent = String(i);
      frag.appendChild(div);
    }
    gutter.replaceChildren(frag);
  }

  /**
   * Wire up the editor inside `root` (.gutter, .highlight, textarea).
   * `onRun` is called on Ctrl/Cmd+Enter.
   */
  function createEditor(root, onRun) {
    const area = root.querySelector("textarea");
    const pre = root.querySelector(".highlight");
    const gutter = root.querySelector(".gutter");

    function refresh() {
      highlight(pre, area.value);
      numberLines(gutter, area.value);
      syncScroll();
    }
    function syncScroll() {
      pre.scrollTop = area.scrollTop;
      pre.scrollLeft = area.scrollLeft;
      gutter.scrollTop = area.scrollTop;
    }

    area.addEventListener("input", refresh);
    area.addEventListener("scroll", syncScroll);
    area.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        onRun();
      } else if (ev.key === "Tab" && !ev.shiftKey && !ev.altKey && !ev.ctrlKey) {
        ev.preventDefault();
        const s = area.selectionStart, e = area.selectionEnd;
        area.setRangeText("  ", s, e, "end");
        refresh();
      }
    });

    return {
      getValue: () => area.value,
      setValue(text) { area.value = text; area.setSelectionRange(0, 0); area.scrollTop = 0; refresh(); },
      focus: () => area.focus(),
    };
  }

  window.HnEditor = { createEditor, highlight };
})();
