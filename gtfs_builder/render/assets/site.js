// Language switch for the rendered site: swaps every [data-t] text for the chosen language from
// the page's embedded dictionary (<script id="i18n">). The choice is kept in ?lang= and in
// localStorage so it follows the reader from page to page. No network, no framework.
(function () {
  "use strict";
  var node = document.getElementById("i18n");
  if (!node) return;
  var dict = JSON.parse(node.textContent);
  var originals = new Map();
  var els = document.querySelectorAll("[data-t]");
  els.forEach(function (el) { originals.set(el, el.textContent); });

  function apply(lang) {
    var texts = dict.texts[lang] || {};
    els.forEach(function (el) {
      var t = texts[el.getAttribute("data-t")];
      el.textContent = t !== undefined ? t : originals.get(el);
    });
    document.documentElement.lang = lang;
    document.documentElement.setAttribute("data-lang", lang);
  }

  function stored() {
    var q = new URLSearchParams(location.search).get("lang");
    if (q) return q;
    try { return localStorage.getItem("gtfs-builder-lang"); } catch (e) { return null; }
  }

  var langs = dict.langs.map(function (l) { return l[0]; });
  var select = document.getElementById("lang-switch");
  if (select) {
    dict.langs.forEach(function (l) {
      var opt = document.createElement("option");
      opt.value = l[0];
      opt.textContent = l[1] + (l[0] === dict["default"] ? " *" : "");
      select.appendChild(opt);
    });
    select.addEventListener("change", function () {
      try { localStorage.setItem("gtfs-builder-lang", select.value); } catch (e) { /* file:// */ }
      apply(select.value);
      var url = new URL(location.href);
      url.searchParams.set("lang", select.value);
      history.replaceState(null, "", url.toString());
      document.querySelectorAll("a[href]").forEach(function (a) {
        var href = a.getAttribute("href");
        if (/^(https?:|#|mailto:)/.test(href)) return;
        a.setAttribute("href", href.replace(/\?lang=[^#]*/, "").replace(/(#|$)/,
          "?lang=" + encodeURIComponent(select.value) + "$1"));
      });
    });
  }
  var want = stored();
  var lang = langs.indexOf(want) >= 0 ? want : dict["default"];
  if (select) select.value = lang;
  if (lang !== dict["default"]) apply(lang);
})();
