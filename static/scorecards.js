/* The scorecard's trend chart: data from the page's JSON block, drawn with the vendored
   Chart.js; clicking a point opens the deliverables behind it. No inline handlers. */
(function () {
  "use strict";
  var source = document.getElementById("trend-data");
  var canvas = document.getElementById("trend-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var palette = ["#1565c0", "#c62828", "#2e7d32", "#b26b00", "#6a1b9a", "#00838f", "#5d4037"];
  var datasets = data.datasets.map(function (set, i) {
    var colour = palette[i % palette.length];
    return {
      label: set.label, data: set.data, links: set.links, borderColor: colour,
      backgroundColor: colour, spanGaps: true, tension: 0.2, pointRadius: 4, pointHoverRadius: 6
    };
  });
  new Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets: datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
      plugins: {
        title: { display: true, text: data.title },
        tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.parsed.y + "%"; } } }
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
      onClick: function (event, elements) {
        if (!elements.length) { return; }
        var el = elements[0];
        var link = datasets[el.datasetIndex].links[el.index];
        if (link) { window.location.href = link; }
      }
    }
  });
})();
