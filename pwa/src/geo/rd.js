// WGS84 → RD New (EPSG:28992) on the device, as the server's PROJ computes it (pyproj's
// choice for EPSG:4326 → 28992 without grid files): WGS84 to geocentric, the inverse of the
// Helmert transformation "Amersfoort to WGS 84 (4)" (coordinate frame), back to latitude
// and longitude on Bessel 1841, then PROJ's oblique stereographic projection (`sterea`,
// through the Gauss conformal sphere). The same steps as PROJ give the same metres (to well
// under a millimetre, tests/unit/test_device_rd.py); no npm package needed for ~60 lines.
const RAD = Math.PI / 180;
const ARCSEC = RAD / 3600;

function ellipsoid(a, rf) {
  const f = 1 / rf;
  const es = f * (2 - f);
  return { a, b: a * (1 - f), es, e: Math.sqrt(es), e2s: es / (1 - es) };
}

const WGS84 = ellipsoid(6378137.0, 298.257223563);
const BESSEL = ellipsoid(6377397.155, 299.1528128);

// Amersfoort → WGS 84 (4), EPSG:4833; applied inverted (WGS84 → Amersfoort) as PROJ does:
// translate back, unscale, then the transposed (small-angle) rotation matrix.
const T = [565.4171, 50.3319, 465.5524];
const [RX, RY, RZ] = [0.398957388243134, -0.343987817378283, 1.87740163998045].map((v) => v * ARCSEC);
const SCALE = 1 + 4.0725e-6;
const R = [
  [1, RZ, -RY],
  [-RZ, 1, RX],
  [RY, -RX, 1],
];

// RD New: sterea on Bessel
const PHI0 = 52.1561605555556 * RAD;
const LAM0 = 5.38763888888889 * RAD;
const K0 = 0.9999079;
const X0 = 155000;
const Y0 = 463000;

// pj_gauss_ini
const GAUSS = (() => {
  const { e, es } = BESSEL;
  const sphi = Math.sin(PHI0);
  const cphi2 = Math.cos(PHI0) ** 2;
  const rc = Math.sqrt(1 - es) / (1 - es * sphi * sphi);
  const C = Math.sqrt(1 + (es * cphi2 * cphi2) / (1 - es));
  const chi = Math.asin(sphi / C);
  const ratexp = 0.5 * C * e;
  const srat = ((1 - e * sphi) / (1 + e * sphi)) ** ratexp;
  const K = Math.tan(0.5 * chi + Math.PI / 4) / (Math.tan(0.5 * PHI0 + Math.PI / 4) ** C * srat);
  return { C, K, ratexp, R2: 2 * rc, sinc0: Math.sin(chi), cosc0: Math.cos(chi) };
})();

/** [x, y] in RD New metres of a WGS84 point (degrees). */
export function toRd(lat, lon) {
  // WGS84 geodetic (height 0) → geocentric
  const phi = lat * RAD;
  const lam = lon * RAD;
  const sinPhi = Math.sin(phi);
  const n = WGS84.a / Math.sqrt(1 - WGS84.es * sinPhi * sinPhi);
  const X = n * Math.cos(phi) * Math.cos(lam);
  const Y = n * Math.cos(phi) * Math.sin(lam);
  const Z = n * (1 - WGS84.es) * sinPhi;
  // inverse Helmert
  const x = (X - T[0]) / SCALE;
  const y = (Y - T[1]) / SCALE;
  const z = (Z - T[2]) / SCALE;
  const bx = R[0][0] * x + R[1][0] * y + R[2][0] * z;
  const by = R[0][1] * x + R[1][1] * y + R[2][1] * z;
  const bz = R[0][2] * x + R[1][2] * y + R[2][2] * z;
  // geocentric → Bessel geodetic (Bowring, as PROJ's cart)
  const p = Math.hypot(bx, by);
  const theta = Math.atan2(bz * BESSEL.a, p * BESSEL.b);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const bPhi = Math.atan2(bz + BESSEL.e2s * BESSEL.b * s * s * s, p - BESSEL.es * BESSEL.a * c * c * c);
  const bLam = Math.atan2(by, bx) - LAM0;
  // pj_gauss, then sterea's forward
  const { C, K, ratexp, R2, sinc0, cosc0 } = GAUSS;
  const eSin = BESSEL.e * Math.sin(bPhi);
  const chi = 2 * Math.atan(K * Math.tan(0.5 * bPhi + Math.PI / 4) ** C * ((1 - eSin) / (1 + eSin)) ** ratexp) - Math.PI / 2;
  const l = C * bLam;
  const sinc = Math.sin(chi);
  const cosc = Math.cos(chi);
  const cosl = Math.cos(l);
  const k = (K0 * R2) / (1 + sinc0 * sinc + cosc0 * cosc * cosl);
  return [BESSEL.a * k * cosc * Math.sin(l) + X0, BESSEL.a * k * (cosc0 * sinc - sinc0 * cosc * cosl) + Y0];
}
