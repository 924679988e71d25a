// Maps of public places (auction/places.py), drawn with Leaflet (served from the site).
//
// Each `[data-map]` element reads its points from the JSON script named by `data-points`:
// {lat, lng, exact, radius, title, where, url}. An exact place is a marker; an area (the
// default for homes) is a marker at the rounded point with a circle around it. Tiles come only
// from `data-tiles` (the court's own server, MAP_TILE_URL); without one the map is drawn plain
// and nothing leaves the site. The map and its markers take the keyboard (arrows move, + and -
// zoom, Tab reaches each marker, Enter opens its label); the list beside it names every place.

function label(point, text) {
  const box = document.createElement("div");
  box.dir = document.documentElement.dir || "auto"; // the map itself is laid out left to right
  const title = document.createElement("a");
  title.href = point.url;
  title.textContent = point.title;
  title.className = "fw-semibold";
  box.append(title);
  if (point.where) {
    const where = document.createElement("div");
    where.textContent = point.where;
    box.append(where);
  }
  if (!point.exact) {
    const area = document.createElement("div");
    area.className = "small text-secondary";
    area.textContent = text.area;
    box.append(area);
  }
  return box;
}

function draw(element) {
  const L = window.L;
  if (!L || element.dataset.drawn) return;
  const source = document.getElementById(element.dataset.points);
  const points = source ? JSON.parse(source.textContent) : [];
  if (!points.length) return;
  element.dataset.drawn = "1";
  const tiles = element.dataset.tiles || "";
  const text = { area: element.dataset.area || "", open: element.dataset.open || "" };
  const map = L.map(element, {
    scrollWheelZoom: false,
    keyboard: true,
    zoomControl: false,
    attributionControl: Boolean(tiles),
  });
  L.control
    .zoom({ zoomInTitle: element.dataset.zoomIn, zoomOutTitle: element.dataset.zoomOut })
    .addTo(map);
  if (tiles) {
    L.tileLayer(tiles, { attribution: element.dataset.attribution || "", maxZoom: 18 }).addTo(map);
  } else {
    element.classList.add("lot-map-plain");
  }
  const bounds = [];
  for (const point of points) {
    const where = [point.lat, point.lng];
    if (!point.exact && point.radius) {
      L.circle(where, { radius: point.radius, interactive: false, weight: 1 }).addTo(map);
    }
    const marker = L.marker(where, { title: point.title, alt: point.title, keyboard: true });
    marker.bindPopup(label(point, text));
    marker.addTo(map);
    bounds.push(where);
  }
  map.fitBounds(bounds, { maxZoom: 14, padding: [32, 32] });
}

function start() {
  for (const element of document.querySelectorAll("[data-map]")) {
    const box = element.closest("details");
    if (box && !box.open) {
      // Drawn when first opened: Leaflet measures its container, which a closed box hides.
      box.addEventListener("toggle", () => box.open && draw(element));
    } else {
      draw(element);
    }
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
