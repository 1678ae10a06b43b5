// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json"> (written by the
// server with json_script), with Chart.js. The same figures are in the table beside each chart, so a page without
// this script, or a screen reader, loses nothing.
(function () {
  "use strict";

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var horizontal = Boolean(spec.horizontal);
    var valueAxis = horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true,
      stacked: Boolean(spec.stacked),
      ticks: spec.percent ? { callback: function (value) { return value + " %"; } } : { precision: 0 },
    };
    scales[horizontal ? "y" : "x"] = { stacked: Boolean(spec.stacked) };
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        spanGaps: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: scales,
      },
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
