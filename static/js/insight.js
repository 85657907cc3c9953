/* The dashboards' charts (Apache ECharts, vendored). Each chart reads its figures from a
   JSON script beside it (json_script: data, not code, so the page keeps its strict CSP) and
   is drawn on a canvas; the same figures are in the table below it, which is what a screen
   reader reads (the chart is marked as an image with a label). Tooltips are drawn on the
   canvas too (richText): HTML tooltips would need inline styles the CSP forbids. */
(function () {
  "use strict";

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source || typeof echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: false },
      animation: false,
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: {
        type: "category",
        data: data.labels,
        axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 },
      },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        {
          name: data.name,
          type: data.kind,
          data: data.values,
          itemStyle: { color: "#0b5cad" },
        },
      ],
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function start() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
