// Risk areas on an ECharts map of synthetic county outlines (local GeoJSON; data from a JSON block):
// a point per area, a polygon per drawn outline (written boundaries).
(function () {
  "use strict";
  function hexToRgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }
  function draw() {
    var dataEl = document.getElementById("risk-map-data");
    var el = document.getElementById("risk-map");
    if (!dataEl || !el || !window.echarts) return;
    var data = JSON.parse(dataEl.textContent);
    var polygons = data.polygons || [];
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
              if (p.seriesType === "custom") {
                var a = polygons[p.dataIndex];
                return a.county + " " + a.name + "<br>" + a.level_name + "：" + a.measures;
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
          }, {
            type: "custom", coordinateSystem: "geo",
            data: polygons.map(function (a) { return { name: a.name, value: a.ring[0] }; }),
            renderItem: function (params, api) {
              var a = polygons[params.dataIndex];
              return { type: "polygon", shape: { points: a.ring.map(function (c) { return api.coord(c); }) },
                       style: { fill: hexToRgba(a.color, 0.35), stroke: a.color, lineWidth: 2 } };
            }
          }]
        });
        window.addEventListener("resize", function () { chart.resize(); });
      });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
