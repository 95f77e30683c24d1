// The dashboard and the team page, live (issue #11): a WebSocket to /ws/dashboard brings what
// changed (mcpgateway/dashboard/events.py): for the signed-in person on their dashboard, for
// everyone on a team admin's team page (?view=team). The page fetches itself again and swaps in
// its live sections ([data-live-section], rendered by the server as at a reload: new clients,
// last seen, Spotify status, recent tool calls); a revoked token or client is marked on the page
// at once, and the reload is offered. Without JavaScript, or with the socket down, the page works
// as before: it says so, and a reload shows the current state.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status || !("WebSocket" in window)) return;
  var view = status.getAttribute("data-live-view");
  var retryMs = 1000;
  var wasOpen = false;
  var fetching = false, fetchAgain = false;

  function say(text, offerReload) {
    status.hidden = false;
    status.textContent = text + " ";
    if (offerReload) {
      var link = document.createElement("a");
      link.href = window.location.pathname + window.location.search;
      link.textContent = "Reload";
      link.setAttribute("data-testid", "live-reload");
      status.appendChild(link);
    }
  }

  function markRevoked(credentialId) {
    var rows = document.querySelectorAll("[data-credential]");
    var found = false;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-credential") !== credentialId) continue;
      found = true;
      rows[i].classList.add("revoked");
      rows[i].setAttribute("data-live", "revoked");
      var cell = rows[i].querySelector("td");
      if (cell && !cell.querySelector(".live-revoked")) {
        var note = document.createElement("strong");
        note.className = "live-revoked";
        note.textContent = " (revoked)";
        cell.appendChild(note);
      }
      // Nothing left to disconnect or revoke: its buttons go (a link without a target still looks pressable).
      var controls = rows[i].querySelectorAll("button, a");
      for (var j = 0; j < controls.length; j++) controls[j].hidden = true;
    }
    return found;
  }

  // The page again, from the server; its live sections replace ours (one fetch at a time, and one
  // more if events came in meanwhile). The forms outside them keep what the person typed.
  function refreshSections() {
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var sections = document.querySelectorAll("[data-live-section]");
        for (var i = 0; i < sections.length; i++) {
          var replacement = sections[i].id && fresh.getElementById(sections[i].id);
          if (replacement) sections[i].innerHTML = replacement.innerHTML;
        }
        status.setAttribute("data-refreshed", String(Date.now()));
        if (window.gatewayRelativeTimes) window.gatewayRelativeTimes();
      })
      .catch(function () { say("This page could not update itself:", true); })
      .then(function () {
        fetching = false;
        if (fetchAgain) { fetchAgain = false; refreshSections(); }
      });
  }

  var messages = {
    client_connected: "A new client connected.",
    client_revoked: "A client or token was revoked.",
    client_seen: "A client was active.",
    spotify_status: "The Spotify connection changed.",
    tool_calls: "New tool calls."
  };

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/dashboard" + (view ? "?view=" + encodeURIComponent(view) : ""));
    socket.onopen = function () {
      retryMs = 1000;
      status.setAttribute("data-socket", "open");
      status.hidden = true;
      if (wasOpen) refreshSections();  // back after a drop: catch up on what we missed
      wasOpen = true;
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      var text = messages[event.kind] || "Something changed.";
      // On the person's own page a revoked row is marked where it is (the reload drops it).
      if (event.kind === "client_revoked" && !event.person_id && event.credential_id && markRevoked(event.credential_id)) {
        say(text + " Updated — reload to see everything.", true);
        return;
      }
      refreshSections();
      if (event.kind !== "client_seen" && event.kind !== "tool_calls") say(text + " Updated.", false);
    };
    socket.onclose = function () {
      status.setAttribute("data-socket", "closed");
      say("Live updates are off (the connection to the gateway dropped): reload to see changes.", true);
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    };
  }
  connect();
})();
