// Keeps "3 minutes ago" true while the page stays open: every <time data-relative datetime=ISO>
// is re-worded every 30 s. The server writes the same words (mcpgateway/templatetags/gateway_ui.py),
// so the page reads right without JavaScript.
(function () {
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  function words(seconds) {
    var future = seconds < 0, s = Math.abs(seconds);
    if (s < 60) { return future ? "in less than a minute" : "just now"; }
    for (var i = 0; i < UNITS.length; i++) {
      var n = Math.floor(s / UNITS[i][1]);
      if (n >= 1) {
        var text = n + " " + UNITS[i][0] + (n === 1 ? "" : "s");
        return future ? "in " + text : text + " ago";
      }
    }
    return "just now";
  }
  function refresh() {
    var now = Date.now();
    document.querySelectorAll("time[data-relative]").forEach(function (element) {
      var when = Date.parse(element.getAttribute("datetime"));
      if (!isNaN(when)) { element.textContent = words((now - when) / 1000); }
    });
  }
  window.gatewayRelativeTimes = refresh;  // for pages that add rows after loading
  refresh();
  setInterval(refresh, 30000);
})();
