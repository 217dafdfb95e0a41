// Live updates: listen to the change feed and, when an event concerns what this page shows,
// fetch the page again and swap its main content. The page works without this script.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var main = document.getElementById("main");
  if (!main) return;
  var scope = main.getAttribute("data-live"); // a candidate slug, "all", or "off"
  if (scope === "off") return; // a page as of a past date: nothing posted now belongs on it
  var pending = null;
  var polling = null;
  var RECHECK_MS = window.ACCESSION_RECHECK_MS || 30000; // tests may shorten it
  var RECONNECT_MS = 5 * 60 * 1000;
  var shownTag = null;

  function refresh() {
    pending = null;
    // "no-cache" revalidates with the page's ETag: an unchanged page costs a 304, no swap.
    fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-cache" })
      .then(function (response) {
        var tag = response.headers.get("ETag");
        if (!response.ok || (tag && tag === shownTag)) return null;
        shownTag = tag;
        return response.text();
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (!fresh) return;
        var focused = document.activeElement && document.activeElement.id;
        main.innerHTML = fresh.innerHTML;
        main.setAttribute("data-since", fresh.getAttribute("data-since") || "0");
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        main.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      })
      .catch(function () { /* offline for a moment: the next event retries */ });
  }

  function concerns(data) {
    return scope === "all" || !data.candidate || data.candidate === scope;
  }

  var KINDS = ["progress_update.created", "progress_update.retracted",
    "progress_update.retraction_requested", "progress_update.retraction_undone",
    "report.published", "ratification_step.created", "candidate.created",
    "candidate.updated", "benchmark.created", "benchmark.updated"];

  function onEvent(event) {
    var data = {};
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (!concerns(data)) return;
    if (pending) clearTimeout(pending);
    pending = setTimeout(refresh, 150); // a batch of events gives one refresh
  }

  // The page was rendered as of event `since`: the stream starts there, so nothing posted in
  // between is missed. EventSource reconnects by itself (the server asks for 1 s) and then
  // sends Last-Event-ID, which the server prefers.
  function connect() {
    var since = parseInt(main.getAttribute("data-since"), 10) || 0;
    var source = new EventSource("/api/v1/events/stream?after=" + since);
    source.addEventListener("open", function () {
      document.documentElement.classList.add("live");
      document.documentElement.classList.remove("polling");
      if (polling) { clearInterval(polling); polling = null; }
    });
    source.addEventListener("error", function () {
      document.documentElement.classList.remove("live");
      // A refused stream (too many from this address, a full server, a backlog too old) is
      // closed for good: the page re-checks itself every 30 s instead, and tries the stream
      // again now and then, from the event its refreshed content was rendered at.
      if (source.readyState !== EventSource.CLOSED || polling) return;
      document.documentElement.classList.add("polling");
      polling = setInterval(refresh, RECHECK_MS);
      refresh();
      setTimeout(function () { if (polling) connect(); }, RECONNECT_MS);
    });
    KINDS.forEach(function (kind) { source.addEventListener(kind, onEvent); });
  }
  connect();
})();
