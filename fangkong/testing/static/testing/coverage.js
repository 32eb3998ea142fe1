// The coverage bar chart: tested / untested per child area (data from the json_script block).
(function () {
  var el = document.getElementById("coverage-chart");
  var data = document.getElementById("coverage-data");
  if (!el || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["已检", "未检"] },
    grid: { left: 40, right: 10, bottom: 60 },
    xAxis: { type: "category", data: d.names, axisLabel: { rotate: 30 } },
    yAxis: { type: "value" },
    series: [
      { name: "已检", type: "bar", stack: "n", data: d.tested, itemStyle: { color: "#2fb344" } },
      { name: "未检", type: "bar", stack: "n", data: d.untested, itemStyle: { color: "#d63939" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
