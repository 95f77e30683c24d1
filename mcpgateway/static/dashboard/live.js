// The dashboard, live (issue #11): a WebSocket to /ws/dashboard brings what changed for the
// signed-in person (mcpgateway/dashboard/events.py). A revoked token or client is marked on the
// page at once; anything else offers a reload. Without JavaScript, or with the socket down, the
// page works as before: it says so, and a reload shows the current state.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status || !("WebSocket" in window)) return;
  var retryMs = 1000;
  var changed = false;

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
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-credential") !== credentialId) continue;
      rows[i].classList.add("revoked");
      rows[i].setAttribute("data-live", "revoked");
      var cell = rows[i].querySelector("td");
      if (cell && !cell.querySelector(".live-revoked")) {
        var note = document.createElement("strong");
        note.className = "live-revoked";
        note.textContent = " (revoked)";
        cell.appendChild(note);
      }
      var controls = rows[i].querySelectorAll("button, a");
      for (var j = 0; j < controls.length; j++) {
        if (controls[j].tagName === "BUTTON") controls[j].disabled = true;
        else controls[j].removeAttribute("href");
      }
    }
  }

  var messages = {
    client_connected: "A new client connected.",
    client_revoked: "A client or token was revoked.",
    client_seen: "A client was active.",
    spotify_status: "Your Spotify connection changed."
  };

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/dashboard");
    socket.onopen = function () {
      retryMs = 1000;
      status.setAttribute("data-socket", "open");
      if (changed) say("Updated — reload to see everything.", true);
      else status.hidden = true;
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.kind === "client_revoked" && event.credential_id) markRevoked(event.credential_id);
      changed = true;
      say((messages[event.kind] || "Something changed.") + " Updated — reload to see everything.", true);
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
