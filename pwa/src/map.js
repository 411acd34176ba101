// Leaflet, loaded lazily (its own precached chunk): the map pin that corrects a location.
// Base map: PDOK BRT-Achtergrondkaart by default, fetched through the server (same origin:
// PDOK never sees where an officer stands, and the tiles can be cached, not opaque).
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { active } from './store/session.js';

const TILES = '/api/tiles/{z}/{x}/{y}.png';
const ATTRIBUTION = 'Kaart: PDOK BRT-Achtergrondkaart';

// /api/tiles needs the bearer token, which an <img> cannot send: fetch each tile (the
// service worker answers from its tile cache when it can) and show it as a blob URL.
const AuthTileLayer = L.TileLayer.extend({
  createTile(coords, done) {
    const img = document.createElement('img');
    img.alt = '';
    img.setAttribute('role', 'presentation');
    const s = active();
    fetch(this.getTileUrl(coords), { headers: s && s.token ? { Authorization: `Bearer ${s.token}` } : {} })
      .then((response) => { if (!response.ok) throw new Error(`tile ${response.status}`); return response.blob(); })
      .then((blob) => {
        img.onload = () => { URL.revokeObjectURL(img.src); done(null, img); };
        img.src = URL.createObjectURL(blob);
      })
      .catch((error) => done(error, img)); // offline or no PDOK: the vectors still show
    return img;
  },
});

function baseLayer() {
  return new AuthTileLayer(TILES, { maxZoom: 19, minZoom: 6, attribution: ATTRIBUTION });
}

/**
 * Shows a draggable pin at `location` inside `container`; calls onMove({lat, lon}) when
 * the officer drops it elsewhere (or taps the map). Returns a function that removes the map.
 */
export function pinMap(container, location, onMove) {
  const map = L.map(container, { zoomControl: true, attributionControl: true }).setView([location.lat, location.lon], 18);
  baseLayer().addTo(map);
  const icon = L.divIcon({ className: 'map-pin', iconSize: [28, 28], iconAnchor: [14, 28], html: '' });
  const marker = L.marker([location.lat, location.lon], { draggable: true, keyboard: true, title: 'Locatie; versleep om te verplaatsen', icon }).addTo(map);
  const circle = L.circle([location.lat, location.lon], { radius: location.accuracy || 0, weight: 1 }).addTo(map);
  const moved = (latlng) => {
    marker.setLatLng(latlng);
    circle.setLatLng(latlng);
    onMove({ lat: Number(latlng.lat.toFixed(7)), lon: Number(latlng.lng.toFixed(7)) });
  };
  marker.on('dragend', () => moved(marker.getLatLng()));
  map.on('click', (event) => moved(event.latlng));
  return () => map.remove();
}

const STYLES = {
  area: { color: '#b35c00', weight: 2, fillOpacity: 0.15 },
  notice: { color: '#b00020', weight: 2, fillOpacity: 0.15 },
  hotspot: { color: '#5b2a86', weight: 1, fillOpacity: 0.2 },
};

/**
 * The briefing map: tiles through the server and the pulled areas, notices and hotspots as
 * vectors (so the map means something without tiles too). Returns {update(point), remove()}.
 */
export function briefingMap(container, geo, point) {
  const map = L.map(container, { zoomControl: true, attributionControl: true }).setView([point.lat, point.lon], 16);
  baseLayer().addTo(map);
  const areaById = new Map(geo.areas.map((a) => [String(a.id), a]));
  for (const area of geo.areas) {
    const kind = (area.properties || {}).kind;
    L.geoJSON(area.geometry, { style: { ...STYLES.area, dashArray: kind === 'wijk' ? '6 4' : null, fillOpacity: kind === 'wijk' ? 0 : 0.15 } })
      .bindTooltip((area.properties || {}).name || 'Gebied').addTo(map);
  }
  for (const notice of geo.notices) {
    if (notice.point) {
      L.circle([notice.point.lat, notice.point.lon], { radius: notice.radius_m || 0, ...STYLES.notice }).bindTooltip(notice.title).addTo(map);
    } else if (areaById.has(String(notice.area_id))) {
      L.geoJSON(areaById.get(String(notice.area_id)).geometry, { style: STYLES.notice }).bindTooltip(notice.title).addTo(map);
    }
  }
  for (const spot of geo.hotspots) {
    L.circle([spot.centre.lat, spot.centre.lon], { radius: spot.radius_m || 25, ...STYLES.hotspot }).addTo(map);
  }
  const here = L.circleMarker([point.lat, point.lon], { radius: 8, color: '#0b5394', fillOpacity: 0.9 }).bindTooltip('Uw positie').addTo(map);
  return {
    update(next) { here.setLatLng([next.lat, next.lon]); map.panTo([next.lat, next.lon]); },
    remove() { map.remove(); },
  };
}

/**
 * A registration's place for the team leader: a fixed pin and the accuracy circle, zoomed
 * so that the circle fits. Returns a function that removes the map.
 */
export function locationMap(container, location) {
  const map = L.map(container, { zoomControl: false, attributionControl: true, scrollWheelZoom: false });
  L.control.zoom({ zoomInTitle: 'Inzoomen', zoomOutTitle: 'Uitzoomen' }).addTo(map);
  baseLayer().addTo(map);
  const at = [location.lat, location.lon];
  const icon = L.divIcon({ className: 'map-pin', iconSize: [28, 28], iconAnchor: [14, 28], html: '' });
  L.marker(at, { keyboard: false, interactive: false, icon }).addTo(map);
  L.circle(at, { radius: location.accuracy || 0, weight: 1, className: 'accuracy-circle' }).addTo(map);
  if (location.accuracy > 0) map.fitBounds(L.latLng(at).toBounds(2 * location.accuracy), { maxZoom: 18, padding: [24, 24] });
  else map.setView(at, 18);
  return () => map.remove();
}

// -- the beheerder's maps ------------------------------------------------------------------

const DRAFT = { color: '#0b5394', weight: 3, fillOpacity: 0.15 };
const OTHER_AREA = { color: '#6b6b6b', weight: 1, fillOpacity: 0.04, dashArray: '4 4' };
const CHOSEN = { color: '#b00020', weight: 3, fillOpacity: 0.12, className: 'chosen-area' };
const NL = [52.15, 5.3];
const round7 = (v) => Number(v.toFixed(7));

/** The current areas, faint, for orientation; the map is fitted to them. */
function areasLayer(map, areas) {
  const group = L.featureGroup();
  for (const area of areas || []) {
    L.geoJSON(area.geometry, { style: OTHER_AREA, interactive: false }).addTo(group);
  }
  group.addTo(map);
  if (group.getLayers().length) map.fitBounds(group.getBounds(), { maxZoom: 15 });
  else map.setView(NL, 8);
  return group;
}

/**
 * The beheerder draws an area: every tap or click on the map adds a corner (the arrow keys
 * pan the map, `addCentre` adds its centre, for a keyboard). onChange gets the corners as
 * [[lon, lat], ...] (open: the caller closes the ring). Returns the controls.
 */
export function drawMap(container, { areas, onChange }) {
  const map = L.map(container, { zoomControl: true, attributionControl: true });
  baseLayer().addTo(map);
  areasLayer(map, areas);
  const corners = [];
  const shape = L.polygon([], { ...DRAFT, interactive: false }).addTo(map);
  const dots = L.layerGroup().addTo(map);
  const redraw = () => {
    shape.setLatLngs(corners);
    dots.clearLayers();
    for (const at of corners) L.circleMarker(at, { radius: 5, color: DRAFT.color, fillOpacity: 1, interactive: false }).addTo(dots);
    onChange(corners.map((at) => [round7(at.lng), round7(at.lat)]));
  };
  map.on('click', (event) => { corners.push(event.latlng); redraw(); });
  return {
    addCentre() { corners.push(map.getCenter()); redraw(); },
    undo() { corners.pop(); redraw(); },
    clear() { corners.length = 0; redraw(); },
    remove() { map.remove(); },
  };
}

/**
 * A notice's place: a tap or click picks the point (onPick({lat, lon})); `show` draws the
 * point with its radius, or the chosen area. Returns {show({point, radius_m, area}), remove()}.
 */
export function pickMap(container, { areas, onPick }) {
  const map = L.map(container, { zoomControl: true, attributionControl: true });
  baseLayer().addTo(map);
  areasLayer(map, areas);
  let shown = null;
  map.on('click', (event) => onPick({ lat: round7(event.latlng.lat), lon: round7(event.latlng.lng) }));
  return {
    show({ point, radius_m: radius, area }) {
      if (shown) shown.remove();
      shown = null;
      if (area) {
        shown = L.geoJSON(area.geometry, { style: CHOSEN, interactive: false }).addTo(map);
        map.fitBounds(shown.getBounds(), { maxZoom: 16 });
      } else if (point) {
        shown = L.featureGroup([
          L.circle([point.lat, point.lon], { ...CHOSEN, radius: radius > 0 ? radius : 0, interactive: false }),
          L.circleMarker([point.lat, point.lon], { radius: 5, color: CHOSEN.color, fillOpacity: 1, interactive: false }),
        ]).addTo(map);
        if (!map.getBounds().contains([point.lat, point.lon])) map.panTo([point.lat, point.lon]);
      }
    },
    remove() { map.remove(); },
  };
}
