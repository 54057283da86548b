/* Validation report viewer: one page of one code's samples at a time, from columnar chunks.
   Chunks arrive through GTFSReport.register(), inline or from report-data/*.js script tags
   (script tags work under file://, fetch() does not). Feed values only ever go through
   textContent, so nothing in a feed can inject markup. */
"use strict";
var GTFSReport = (function () {
  var meta = null, chunks = {}, waiters = {};
  var st = { ci: -1, page: 0, file: "", text: "", matches: null, run: 0 };
  var fmt = new Intl.NumberFormat("en-US");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function register(ci, k, data) {
    var key = ci + "-" + k;
    chunks[key] = data;
    (waiters[key] || []).forEach(function (w) { w[0](data); });
    delete waiters[key];
  }

  function load(ci, k) {
    var key = ci + "-" + k;
    if (chunks[key]) return Promise.resolve(chunks[key]);
    return new Promise(function (resolve, reject) {
      var first = !waiters[key];
      (waiters[key] = waiters[key] || []).push([resolve, reject]);
      if (!first) return;
      if (!meta.dataDir) { reject(new Error("missing chunk " + key)); return; }
      var s = el("script", { src: meta.dataDir + "/c" + ci + "-" + k + ".js" });
      s.onerror = function () {
        (waiters[key] || []).forEach(function (w) { w[1](new Error("cannot load " + s.src)); });
        delete waiters[key];
      };
      document.head.appendChild(s);
    });
  }

  function cell(chunk, col, r) {
    var c = chunk.c[col];
    return Array.isArray(c) ? c[r] : c.d[c.i[r]];
  }

  function show(v) {
    if (v === null || v === undefined) return "";
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  }

  /* Row indexes (into the code's samples) of the current page. */
  function pageRows() {
    var code = meta.codes[st.ci], n = st.matches ? st.matches.length : code.samples;
    var lo = st.page * meta.pageRows, hi = Math.min(n, lo + meta.pageRows), rows = [];
    for (var i = lo; i < hi; i++) rows.push(st.matches ? st.matches[i] : i);
    return rows;
  }

  function pages() {
    var n = st.matches ? st.matches.length : meta.codes[st.ci].samples;
    return Math.max(1, Math.ceil(n / meta.pageRows));
  }

  function renderPage() {
    var ci = st.ci, run = st.run, code = meta.codes[ci], rows = pageRows();
    var need = {};
    rows.forEach(function (r) { need[Math.floor(r / meta.chunkRows)] = 1; });
    var ks = Object.keys(need).map(Number);
    var status = document.getElementById("status");
    status.textContent = "Loading…";
    return Promise.all(ks.map(function (k) { return load(ci, k); })).then(function () {
      if (run !== st.run) return;
      var tbody = el("tbody");
      rows.forEach(function (r) {
        var chunk = chunks[ci + "-" + Math.floor(r / meta.chunkRows)], j = r % meta.chunkRows;
        var tr = el("tr");
        tr.appendChild(el("td", { class: "idx" }, fmt.format(r + 1)));
        for (var c = 0; c < code.columns.length; c++) {
          var v = cell(chunk, c, j);
          tr.appendChild(el("td", v === null || v === undefined ? { class: "null" } : null, show(v)));
        }
        tbody.appendChild(tr);
      });
      var table = document.getElementById("samples");
      table.replaceChild(tbody, table.tBodies[0]);
      var n = st.matches ? st.matches.length : code.samples;
      var lo = n ? st.page * meta.pageRows + 1 : 0;
      status.textContent = (n ? "Rows " + fmt.format(lo) + "–" + fmt.format(lo + rows.length - 1)
        + " of " + fmt.format(n) : "No rows") + (st.matches ? " matching the filter" : "")
        + " · page " + fmt.format(st.page + 1) + " of " + fmt.format(pages());
      var input = document.getElementById("page-input");
      input.value = st.page + 1;
      input.max = pages();
      document.getElementById("page-count").textContent = "of " + fmt.format(pages());
      ["first", "prev"].forEach(function (id) { document.getElementById(id).disabled = st.page === 0; });
      ["next", "last"].forEach(function (id) {
        document.getElementById(id).disabled = st.page >= pages() - 1;
      });
      document.getElementById("detail").setAttribute("data-ready", ci + ":" + st.page);
      setHash();
    }, function (err) { status.textContent = String(err.message || err); });
  }

  function go(page) {
    st.page = Math.max(0, Math.min(pages() - 1, page | 0));
    st.run++;
    return renderPage();
  }

  /* Filter by file and/or text: every chunk of the code is loaded, then scanned once. */
  function applyFilter() {
    var ci = st.ci, code = meta.codes[ci], run = ++st.run;
    var file = st.file, text = st.text.toLowerCase();
    if (!file && !text) { st.matches = null; st.page = 0; return renderPage(); }
    var status = document.getElementById("status"), done = 0, ks = [];
    for (var k = 0; k < code.chunks; k++) ks.push(k);
    status.textContent = "Filtering…";
    document.getElementById("detail").removeAttribute("data-ready");
    return Promise.all(ks.map(function (k) {
      return load(ci, k).then(function () {
        done++;
        if (run === st.run) status.textContent = "Filtering… " + done + " of " + ks.length + " chunks";
      });
    })).then(function () {
      if (run !== st.run) return;
      var fcol = code.columns.indexOf("filename"), out = [];
      for (var k = 0; k < code.chunks; k++) {
        var chunk = chunks[ci + "-" + k];
        for (var j = 0; j < chunk.n; j++) {
          if (file && show(cell(chunk, fcol, j)) !== file) continue;
          if (text) {
            var hit = false;
            for (var c = 0; c < code.columns.length && !hit; c++) {
              hit = show(cell(chunk, c, j)).toLowerCase().indexOf(text) >= 0;
            }
            if (!hit) continue;
          }
          out.push(k * meta.chunkRows + j);
        }
      }
      st.matches = out;
      st.page = 0;
      return renderPage();
    });
  }

  function button(id, label, title, onclick) {
    var b = el("button", { id: id, type: "button", title: title }, label);
    b.addEventListener("click", onclick);
    return b;
  }

  function openCode(ci, page) {
    var code = meta.codes[ci];
    st.ci = ci; st.page = 0; st.file = ""; st.text = ""; st.matches = null;
    document.querySelectorAll(".code-link").forEach(function (a) {
      a.classList.toggle("active", Number(a.getAttribute("data-index")) === ci);
    });
    var d = document.getElementById("detail");
    d.removeAttribute("data-ready");
    d.textContent = "";
    var h = el("h2");
    h.appendChild(el("span", { class: "badge " + code.severity }, code.severity));
    h.appendChild(document.createTextNode(code.code));
    d.appendChild(h);
    if (code.doc) {  /* the docs quote field names in `backticks`: show those as code */
      var doc = el("p", { class: "doc" });
      code.doc.split("`").forEach(function (part, i) {
        doc.appendChild(i % 2 ? el("code", null, part) : document.createTextNode(part));
      });
      d.appendChild(doc);
    }
    var links = el("p", { class: "links" });
    if (code.canonical) {
      links.appendChild(el("a", { class: "canonical-doc", rel: "noopener", target: "_blank",
        href: meta.canonicalDoc.replace("{code}", code.code) }, "Rule documentation (MobilityData) ↗"));
    }
    if (meta.rulesHref) {
      links.appendChild(el("a", { class: "rules-doc", href: meta.rulesHref + "#" + code.code },
        "RULES.md"));
    }
    d.appendChild(links);
    var note = fmt.format(code.total) + " notice" + (code.total === 1 ? "" : "s");
    if (code.samples < code.total) {
      note += "; samples of the first " + fmt.format(code.samples) + " kept (validate with"
        + " --max-samples 0 to keep every notice)";
    }
    d.appendChild(el("p", { class: "note" }, note));

    var controls = el("div", { class: "controls" });
    if (code.files.length > 1) {
      var lab = el("label", null, "File ");
      var sel = el("select", { id: "file-filter" });
      sel.appendChild(el("option", { value: "" }, "all files"));
      code.files.forEach(function (f) {
        sel.appendChild(el("option", { value: f[0] }, (f[0] || "(none)") + " (" + fmt.format(f[1]) + ")"));
      });
      sel.addEventListener("change", function () { st.file = sel.value; applyFilter(); });
      lab.appendChild(sel);
      controls.appendChild(lab);
    }
    var tlab = el("label", null, "Filter ");
    var search = el("input", { id: "text-filter", type: "search", placeholder: "text in any column" });
    var timer = 0;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { st.text = search.value; applyFilter(); }, 250);
    });
    tlab.appendChild(search);
    controls.appendChild(tlab);
    var pager = el("div", { class: "pager" });
    pager.appendChild(button("first", "«", "First page", function () { go(0); }));
    pager.appendChild(button("prev", "‹", "Previous page", function () { go(st.page - 1); }));
    var pin = el("input", { id: "page-input", type: "number", min: 1, "aria-label": "Page" });
    pin.addEventListener("change", function () { go(Number(pin.value) - 1); });
    pager.appendChild(el("span", null, "Page"));
    pager.appendChild(pin);
    pager.appendChild(el("span", { id: "page-count" }));
    pager.appendChild(button("next", "›", "Next page", function () { go(st.page + 1); }));
    pager.appendChild(button("last", "»", "Last page", function () { go(pages() - 1); }));
    controls.appendChild(pager);
    d.appendChild(controls);
    d.appendChild(el("p", { id: "status", class: "status" }));
    var table = el("table", { id: "samples" }), thead = el("thead"), tr = el("tr");
    tr.appendChild(el("th", null, "#"));
    code.columns.forEach(function (c) { tr.appendChild(el("th", null, c)); });
    thead.appendChild(tr);
    table.appendChild(thead);
    table.appendChild(el("tbody"));
    var wrap = el("div", { class: "table-wrap" });
    wrap.appendChild(table);
    d.appendChild(wrap);
    return go(page || 0);
  }

  function setHash() {
    var h = "#code=" + encodeURIComponent(meta.codes[st.ci].code)
      + (st.page ? "&page=" + (st.page + 1) : "");
    if (location.hash !== h) history.replaceState(null, "", h);
  }

  function fromHash() {
    var m = /code=([^&]+)(?:&page=(\d+))?/.exec(location.hash);
    if (!m) return;
    var name = decodeURIComponent(m[1]), page = m[2] ? Number(m[2]) - 1 : 0;
    for (var i = 0; i < meta.codes.length; i++) {
      if (meta.codes[i].code === name) {
        if (i !== st.ci) openCode(i, page);
        else if (page !== st.page) go(page);
        return;
      }
    }
  }

  function start() {
    meta = JSON.parse(document.getElementById("report-meta").textContent);
    document.querySelectorAll(".code-link").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        openCode(Number(a.getAttribute("data-index")), 0);
      });
    });
    window.addEventListener("hashchange", fromHash);
    document.addEventListener("keydown", function (ev) {  /* ← → page through the samples */
      var tag = ev.target && ev.target.tagName;
      if (st.ci < 0 || tag === "INPUT" || tag === "SELECT" || ev.altKey || ev.ctrlKey || ev.metaKey) {
        return;
      }
      if (ev.key === "ArrowRight" && st.page < pages() - 1) go(st.page + 1);
      else if (ev.key === "ArrowLeft" && st.page > 0) go(st.page - 1);
    });
    fromHash();
    if (st.ci < 0 && meta.codes.length) openCode(0, 0);  /* the most severe code, open at once */
  }

  return { register: register, start: start, open: openCode, go: go };
})();
