// The figures page: one line chart per KPI over the periods, a line per store and the group's (Chart.js).
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const colours = ["#1f6feb", "#d1242f", "#1a7f37", "#bf8700", "#8250df", "#0a7ea4"];
  for (const canvas of document.querySelectorAll("canvas[data-kpi]")) {
    const c = data[canvas.dataset.kpi];
    const datasets = c.datasets.map((d, i) => ({
      label: d.label, store_id: d.store_id, data: d.data, spanGaps: true, tension: 0.2,
      borderColor: d.store_id === "*" ? "#333" : colours[i % colours.length],
      borderDash: d.store_id === "*" ? [6, 4] : [], pointRadius: 3,
    }));
    canvas.chart = new Chart(canvas, {
      type: "line", data: { labels: c.labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { position: "bottom" } } },
    });
    canvas.dataset.points = String(datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0));
  }
  document.body.dataset.chartsDrawn = "1";
});
