(function () {
  var el = document.getElementById("fk-occupancy-chart");
  var data = document.getElementById("fk-occupancy-data");
  if (!el || !data || !window.echarts) return;
  var rows = JSON.parse(data.textContent);
  if (!rows.length) { el.textContent = "暂无快照（每日任务运行后生成）"; el.style.height = "auto"; return; }
  el.style.height = "320px";
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "axis"}, legend: {data: ["房间", "已用房间", "人数"]},
    xAxis: {type: "category", data: rows.map(function (r) { return r.date; })}, yAxis: {type: "value"},
    series: [
      {name: "房间", type: "line", data: rows.map(function (r) { return r.rooms; })},
      {name: "已用房间", type: "line", areaStyle: {}, data: rows.map(function (r) { return r.occupied; })},
      {name: "人数", type: "line", data: rows.map(function (r) { return r.persons; })}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
