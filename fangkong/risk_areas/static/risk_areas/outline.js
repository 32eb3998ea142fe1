// Drawing a risk area's outline on the local ECharts map: click to add a vertex, undo, clear.
// The vertices live in the textarea as "lng,lat" lines (GeoJSON may be pasted there too); the server
// checks and stores them. No inline script (CSP): every widget is found by its data-outline attribute.
(function () {
  "use strict";
  var MAP = "shangluo_demo";

  function round6(x) { return Math.round(x * 1e6) / 1e6; }

  function samePoint(a, b) { return a && b && a[0] === b[0] && a[1] === b[1]; }

  // "lng,lat" lines or GeoJSON (Polygon, Feature, FeatureCollection of one) → [[lng, lat]], null if unreadable.
  function parse(text) {
    text = (text || "").trim();
    if (!text) return [];
    var ring;
    if (text[0] === "{" || text[0] === "[") {
      try {
        var o = JSON.parse(text);
        if (o && o.type === "FeatureCollection") o = (o.features || [])[0];
        if (o && o.type === "Feature") o = o.geometry;
        ring = o && o.type === "Polygon" ? (o.coordinates || [])[0] : o;
        if (!Array.isArray(ring)) return null;
      } catch (e) { return null; }
    } else {
      ring = [];
      var lines = text.split(/\r?\n/);
      for (var i = 0; i < lines.length; i++) {
        var line = lines[i].trim().replace(/[;；]$/, "");
        if (!line) continue;
        var m = line.match(/^([-+]?\d+(?:\.\d+)?)\s*[,，\s]\s*([-+]?\d+(?:\.\d+)?)$/);
        if (!m) return null;
        ring.push([parseFloat(m[1]), parseFloat(m[2])]);
      }
    }
    var out = [];
    for (var k = 0; k < ring.length; k++) {
      var p = ring[k];
      if (!Array.isArray(p) || typeof p[0] !== "number" || typeof p[1] !== "number") return null;
      out.push([p[0], p[1]]);
    }
    if (out.length > 1 && samePoint(out[0], out[out.length - 1])) out.pop();
    return out;
  }

  function format(points) {
    return points.map(function (p) { return p[0] + "," + p[1]; }).join("\n");
  }

  function bounds(points) {
    var minX = 180, minY = 90, maxX = -180, maxY = -90;
    points.forEach(function (p) {
      minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]);
      minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
    });
    var pad = Math.max(maxX - minX, maxY - minY, 0.01) * 0.6;
    return [[minX - pad, maxY + pad], [maxX + pad, minY - pad]];
  }

  function setup(root, geo) {
    var textarea = root.querySelector("textarea");
    var el = root.querySelector(".fk-outline-map");
    var count = root.querySelector("[data-outline-count]");
    var bad = root.querySelector("[data-outline-bad]");
    var points = parse(textarea.value) || [];
    var chart = window.echarts.init(el);
    var geoOption = { map: MAP, roam: true, label: { show: true, fontSize: 11 },
                      itemStyle: { areaColor: "#f1f5f9", borderColor: "#94a3b8" },
                      emphasis: { disabled: true }, select: { disabled: true } };
    if (points.length) geoOption.boundingCoords = bounds(points);

    function shape(params, api) {
      if (points.length < 2) return null;
      var pts = points.map(function (p) { return api.coord(p); });
      var style = { fill: points.length >= 3 ? "rgba(214,57,57,0.25)" : "none", stroke: "#d63939", lineWidth: 2 };
      return points.length >= 3 ? { type: "polygon", shape: { points: pts }, style: style }
                                : { type: "polyline", shape: { points: pts }, style: style };
    }

    function render() {
      count.textContent = String(points.length);
      chart.setOption({
        series: [
          { id: "outline", type: "custom", coordinateSystem: "geo", renderItem: shape, silent: true,
            data: points.length >= 2 ? [points[0]] : [] },
          { id: "vertices", type: "scatter", coordinateSystem: "geo", symbolSize: 8, silent: true,
            itemStyle: { color: "#d63939" }, data: points.slice() }
        ]
      });
    }

    function sync() {
      textarea.value = format(points);
      bad.classList.add("d-none");
      render();
    }

    chart.setOption({ geo: geoOption, series: [] });
    render();

    var down = null;
    var zr = chart.getZr();
    zr.on("mousedown", function (e) { down = [e.offsetX, e.offsetY]; });
    zr.on("click", function (e) {
      if (down && Math.abs(down[0] - e.offsetX) + Math.abs(down[1] - e.offsetY) > 4) return; // a drag
      var c = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
      if (!c || isNaN(c[0]) || isNaN(c[1])) return;
      points.push([round6(c[0]), round6(c[1])]);
      sync();
    });
    root.querySelector("[data-outline-undo]").addEventListener("click", function () {
      points.pop();
      sync();
    });
    root.querySelector("[data-outline-clear]").addEventListener("click", function () {
      points = [];
      sync();
    });
    textarea.addEventListener("input", function () {
      var parsed = parse(textarea.value);
      if (parsed === null) { bad.classList.remove("d-none"); return; }
      bad.classList.add("d-none");
      points = parsed;
      render();
    });
    window.addEventListener("resize", function () { chart.resize(); });
    root.setAttribute("data-outline-ready", "1");
  }

  function init() {
    var roots = document.querySelectorAll("[data-outline]");
    if (!roots.length || !window.echarts) return;
    fetch(roots[0].getAttribute("data-geo-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        window.echarts.registerMap(MAP, geo);
        Array.prototype.forEach.call(roots, function (root) { setup(root, geo); });
      });
  }
  // On the member form, show only the fields the chosen kind uses (all stay in the form: nothing is lost).
  var KIND_FIELDS = { node: [], floor: ["floor"], room: ["floor", "room"], boundary: ["boundary_text", "outline"],
                      rest: ["excluded"] };
  var OPTIONAL = ["floor", "room", "boundary_text", "outline", "excluded"];

  function toggleFields() {
    var kind = document.getElementById("id_kind");
    if (!kind) return;
    function apply() {
      var shown = KIND_FIELDS[kind.value] || OPTIONAL;
      OPTIONAL.forEach(function (name) {
        var input = document.getElementById("id_" + name);
        var box = input && input.closest(".mb-3");
        if (!box) return;
        var hasError = box.querySelector(".invalid-feedback");
        box.classList.toggle("d-none", shown.indexOf(name) < 0 && !hasError);
      });
      window.dispatchEvent(new Event("resize"));  // a map shown now takes its size
    }
    kind.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () { toggleFields(); init(); });
})();
