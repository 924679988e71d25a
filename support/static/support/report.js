// Draws the support report's charts from the figures the page embeds (no other request).
(function () {
  const source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const rtl = document.documentElement.dir === "rtl";
  const green = "#0b5c4b";
  const gold = "#c49a3a";
  const palette = [green, gold, "#5b8f85", "#b7c7c3", "#8c6d1f", "#2f7d6b", "#d9c08a"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1d2b2a";
  Chart.defaults.maintainAspectRatio = false;
  if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) Chart.defaults.animation = false;
  Chart.defaults.plugins.legend.rtl = rtl;
  Chart.defaults.plugins.tooltip.rtl = rtl;
  const integers = { beginAtZero: true, ticks: { precision: 0 } };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  draw("chart-months", {
    type: "bar",
    data: {
      labels: data.months.labels,
      datasets: [
        { label: data.months.opened_label, data: data.months.opened, backgroundColor: green },
        { label: data.months.closed_label, data: data.months.closed, backgroundColor: gold },
      ],
    },
    options: { scales: { x: { reverse: rtl }, y: integers }, plugins: { legend: { position: "bottom" } } },
  });
  draw("chart-kinds", {
    type: "doughnut",
    data: { labels: data.kinds.labels, datasets: [{ data: data.kinds.values, backgroundColor: palette }] },
    options: { plugins: { legend: { position: "bottom" } } },
  });
  draw("chart-topics", {
    type: "bar",
    data: {
      labels: data.topics.labels,
      datasets: [{ label: data.topics.label, data: data.topics.values, backgroundColor: green }],
    },
    options: {
      indexAxis: "y",
      scales: { x: { ...integers, reverse: rtl }, y: { position: rtl ? "right" : "left" } },
      plugins: { legend: { display: false } },
    },
  });
  draw("chart-satisfaction", {
    type: "bar",
    data: {
      labels: data.satisfaction.labels,
      datasets: [{ label: data.satisfaction.label, data: data.satisfaction.values, backgroundColor: gold }],
    },
    options: { scales: { x: { reverse: rtl }, y: integers }, plugins: { legend: { display: false } } },
  });
})();
