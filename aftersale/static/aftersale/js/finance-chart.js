// The court account's inflows and outflows per day. Amounts arrive as integers in minor
// units; they are turned into decimals only to draw and label them, never sent back.
const source = document.getElementById("flows-data");
const canvas = document.getElementById("flows-chart");
if (source && canvas && window.Chart) {
  const data = JSON.parse(source.textContent);
  const scale = 10 ** data.exponent;
  const locale = document.documentElement.lang === "ar" ? "ar" : "en";
  const money = new Intl.NumberFormat(locale, {
    style: "currency", currency: data.currency,
    minimumFractionDigits: data.exponent, maximumFractionDigits: data.exponent,
  });
  const days = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" });
  const rtl = document.documentElement.dir === "rtl";
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels.map((day) => days.format(new Date(day + "T12:00:00"))),
      datasets: [
        { label: canvas.dataset.inflow, data: data.inflow.map((v) => v / scale), backgroundColor: "#0b5c4b" },
        { label: canvas.dataset.outflow, data: data.outflow.map((v) => v / scale), backgroundColor: "#c49a3a" },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      locale,
      scales: {
        x: { reverse: rtl, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { position: rtl ? "right" : "left", ticks: { callback: (value) => money.format(value) } },
      },
      plugins: {
        legend: { rtl, position: "bottom" },
        tooltip: { rtl, callbacks: { label: (item) => `${item.dataset.label}: ${money.format(item.raw)}` } },
      },
    },
  });
}
