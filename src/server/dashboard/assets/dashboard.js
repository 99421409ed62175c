// openai-mock dashboard: the live parts. Pages work without this file; with it, the
// request log grows while traffic flows (server-sent events from /dashboard/live/events).
// Text is set with textContent only, never as HTML.
"use strict";
(function () {
  function start() {
    var table = document.getElementById("log");
    if (!table || !window.EventSource) return;
    var status = document.getElementById("live-status");
    var count = document.getElementById("live-count");
    var body = table.tBodies[0];
    var source = new EventSource(table.getAttribute("data-live"));
    source.onopen = function () {
      if (status) status.textContent = "Live: new requests appear as they arrive.";
    };
    source.onerror = function () {
      if (status) status.textContent = "Live updates paused; retrying.";
    };
    source.addEventListener("request", function (event) {
      var row = JSON.parse(event.data);
      var tr = document.createElement("tr");
      tr.setAttribute("data-seq", String(row.seq));
      row.cells.forEach(function (text, i) {
        var td = document.createElement("td");
        if (i === 0) {
          var a = document.createElement("a");
          a.href = row.href;
          a.textContent = text;
          td.appendChild(a);
        } else {
          td.textContent = text;
        }
        tr.appendChild(td);
      });
      body.insertBefore(tr, body.firstChild);
      if (count) {
        var n = Number(count.getAttribute("data-count") || "0") + 1;
        count.setAttribute("data-count", String(n));
        count.textContent = n + " requests";
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
