// The court account's inflows and outflows per day, every day of the period on the axis (a
// day without money shows as zero). Amounts arrive as integers in minor units; they are
// turned into decimals only to draw them, and labelled from the integers (format.js).
import { formatDay, moneyFormatter } from "../../frontend/js/format.js";

const source = document.getElementById("flows-data");
const canvas = document.getElementById("flows-chart");
if (source && canvas && window.Chart) {
  const data = JSON.parse(source.textContent);
  const scale = 10 ** data.exponent;
  const locale = document.documentElement.lang === "ar" ? "ar" : "en";
  const minor = moneyFormatter(data.currency, data.exponent, locale);
  const money = { format: (value) => minor(Math.round(value * scale)) };
  // The axis is short ("11 Dec"); the tooltip gives the whole day.
  const days = new Intl.DateTimeFormat(locale === "ar" ? "ar-u-nu-latn" : "en-GB", {
    day: "numeric", month: "short", timeZone: "UTC",
  });
  const rtl = document.documentElement.dir === "rtl";
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels.map((day) => days.format(new Date(`${day}T12:00:00Z`))),
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
        tooltip: { rtl, callbacks: { title: (items) => formatDay(`${data.labels[items[0].dataIndex]}T12:00:00Z`, "UTC", locale), label: (item) => `${item.dataset.label}: ${money.format(item.raw)}` } },
      },
    },
  });
}
