// Draws each report chart with the vendored Chart.js (static/vendor/chartjs).
// The page carries the data in a JSON island, <script type="application/json" id="…">,
// named by the canvas's data-report-chart attribute: no data is ever put into a script.
// Charts are drawn on page load and again whenever htmx swaps in a new result.
(function () {
  "use strict";

  var COLOURS = ["#3b82c4", "#e8a33d", "#9aa5b1", "#d9534f", "#5cb85c", "#8e6cc0",
                 "#2bb0a8", "#c0687a", "#7f8c3b", "#e17f37", "#4c6ef5", "#a0522d",
                 "#6c757d", "#17a2b8"];

  function number(value, kind) {
    if (value === null || value === undefined) { return ""; }
    if (kind === "percent") { return (value * 100).toFixed(1) + "%"; }
    if (kind === "money" || kind === "decimal") {
      return value.toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
    }
    return value.toLocaleString("zh-CN");
  }

  function config(data) {
    var round = data.kind === "pie" || data.kind === "doughnut";
    var datasets = data.datasets.map(function (set, index) {
      var colour = round ? data.labels.map(function (_, i) { return COLOURS[i % COLOURS.length]; })
                         : COLOURS[index % COLOURS.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: data.kind === "line" ? colour : undefined,
        fill: false,
        quanhuiKind: set.kind
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: {display: round || datasets.length > 1, position: "bottom"},
        tooltip: {
          callbacks: {
            label: function (item) {
              var kind = item.dataset.quanhuiKind;
              var name = round ? item.label : item.dataset.label;
              return name + ":" + number(item.raw, kind);
            }
          }
        }
      }
    };
    if (!round) {
      options.scales = {
        x: {stacked: !!data.stacked},
        y: {
          stacked: !!data.stacked,
          beginAtZero: true,
          ticks: {
            precision: data.datasets.every(function (set) { return set.kind === "integer"; }) ? 0 : undefined,
            callback: function (value) { return number(value, data.datasets[0].kind); }
          }
        }
      };
    }
    return {type: data.kind, data: {labels: data.labels, datasets: datasets}, options: options};
  }

  function draw(root) {
    if (typeof window.Chart === "undefined") { return; }
    var canvases = (root || document).querySelectorAll("canvas[data-report-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var island = document.getElementById(canvas.getAttribute("data-report-chart"));
      if (!island) { return; }
      var data;
      try {
        data = JSON.parse(island.textContent);
      } catch (error) {
        return;
      }
      var existing = window.Chart.getChart(canvas);
      if (existing) { existing.destroy(); }
      new window.Chart(canvas, config(data));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
})();
