// Risk areas on an ECharts map of synthetic county outlines (local GeoJSON; data from a JSON block).
(function () {
  "use strict";
  function draw() {
    var dataEl = document.getElementById("risk-map-data");
    var el = document.getElementById("risk-map");
    if (!dataEl || !el || !window.echarts) return;
    var data = JSON.parse(dataEl.textContent);
    fetch(data.geo_url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        window.echarts.registerMap(data.map, geo);
        var chart = window.echarts.init(el);
        chart.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (p) {
              if (p.seriesType === "scatter") {
                return p.data.county + " " + p.data.name + "<br>" + p.data.level_name + "：" + p.data.measures;
              }
              return p.name;
            }
          },
          geo: { map: data.map, roam: true, label: { show: true, fontSize: 11 },
                 itemStyle: { areaColor: "#f1f5f9", borderColor: "#94a3b8" } },
          series: [{
            type: "scatter", coordinateSystem: "geo", symbolSize: 12,
            data: data.points.map(function (p) {
              return { name: p.name, value: p.value, county: p.county, level_name: p.level_name,
                       measures: p.measures, itemStyle: { color: p.color } };
            })
          }]
        });
        window.addEventListener("resize", function () { chart.resize(); });
      });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
