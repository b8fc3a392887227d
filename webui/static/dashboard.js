/* The dashboard's charts (issue 12, G6), drawn by the vendored Apache ECharts.
   The figures come as JSON in #dashboard-data's data-figures attribute (the CSP runs no
   inline script); money arrives as integer fen and becomes yuan only here, for display. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.dataset.figures);
  var charts = [];
  // Tooltips drawn on the canvas (richText), not as HTML with inline styles the CSP refuses.
  var tooltip = { trigger: "axis", renderMode: "richText", confine: true };

  function yuan(fen) { return (fen / 100).toFixed(2); }

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  }

  var days = data.trend.map(function (row) { return row.day.slice(5); });
  draw("trend-chart", {
    animation: false,
    tooltip: tooltip,
    legend: { data: [data.labels.net, data.labels.checkouts], top: 0 },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: days, axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: "value", name: "¥", axisLabel: { formatter: function (fen) { return yuan(fen); } } },
      { type: "value", minInterval: 1, splitLine: { show: false } }
    ],
    series: [
      { name: data.labels.net, type: "line", showSymbol: false, areaStyle: { opacity: 0.08 },
        data: data.trend.map(function (row) { return row.net_fen; }),
        tooltip: { valueFormatter: function (fen) { return "¥" + yuan(fen); } } },
      { name: data.labels.checkouts, type: "line", yAxisIndex: 1, showSymbol: false,
        data: data.trend.map(function (row) { return row.checkouts; }) }
    ],
    color: ["#b91c1c", "#2563eb"]
  });

  draw("tier-chart", {
    animation: false,
    tooltip: { trigger: "item", renderMode: "richText", confine: true },
    series: [{
      name: data.labels.members, type: "pie", radius: ["35%", "65%"],
      label: { formatter: "{b}\n{c}" },
      data: data.tier_mix.map(function (row) { return { name: row.name, value: row.members }; })
    }]
  });

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () { charts.forEach(function (chart) { chart.resize(); }); }, 100);
  });
})();
