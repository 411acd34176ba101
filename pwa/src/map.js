// Leaflet, loaded lazily (its own precached chunk): the map pin that corrects a location.
// Base map: PDOK BRT-Achtergrondkaart (the government's standard tiles, Web Mercator).
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';

const PDOK = 'https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png';

/**
 * Shows a draggable pin at `location` inside `container`; calls onMove({lat, lon}) when
 * the officer drops it elsewhere (or taps the map). Returns a function that removes the map.
 */
export function pinMap(container, location, onMove) {
  const map = L.map(container, { zoomControl: true, attributionControl: true }).setView([location.lat, location.lon], 18);
  L.tileLayer(PDOK, { maxZoom: 19, minZoom: 6, attribution: 'Kaart: PDOK BRT-Achtergrondkaart' }).addTo(map);
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
