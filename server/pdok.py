"""Map tiles and address lookups through the server, from PDOK (configurable URLs).

The device talks only to its own origin (its service worker can cache same-origin tiles,
and PDOK never sees where an officer stands); the server asks PDOK with a short timeout
and answers 502/504 in Dutch when PDOK is unreachable or slow. Tiles are kept in a small
on-disk cache in the instance folder, trimmed oldest-first when it grows past its size.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import orjson
from flask import Response, current_app

from server.auth.tokens import require_auth
from server.briefing.routes import point_args
from server.errors import ApiError
from server.geoinput import NL_LAT, NL_LON
from server.jsonbody import Blueprint

blp = Blueprint("pdok", __name__, url_prefix="/api", description="Kaart en adressen")
PNG = b"\x89PNG\r\n\x1a\n"
_trim_lock = threading.Lock()
_writes = itertools.count()


def _fetch(url: str) -> tuple[bytes, str]:
    """The body and content type at ``url``; ApiError 502/504/404 when PDOK fails."""
    timeout = current_app.config["PDOK_TIMEOUT_S"]
    req = urllib.request.Request(url, headers={"User-Agent": "Wijkpost"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
            return response.read(5 * 1024 * 1024), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise ApiError(404, "not_found", "Niet gevonden bij PDOK") from None
        raise ApiError(502, "pdok_error", "PDOK gaf een fout; probeer het later opnieuw") from None
    except TimeoutError:
        raise ApiError(504, "pdok_timeout", "PDOK reageert niet op tijd; probeer het later "
                                            "opnieuw") from None
    except (urllib.error.URLError, OSError) as error:
        if isinstance(getattr(error, "reason", None), TimeoutError):
            raise ApiError(504, "pdok_timeout", "PDOK reageert niet op tijd; probeer het "
                                                "later opnieuw") from None
        raise ApiError(502, "pdok_unreachable", "PDOK is niet bereikbaar; de kaart werkt "
                                                "zonder achtergrond verder") from None


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """West, south, east, north (WGS84) of a Web Mercator (EPSG:3857) tile."""
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def _check_tile(z: int, x: int, y: int) -> None:
    config = current_app.config
    if not config["TILE_MIN_ZOOM"] <= z <= config["TILE_MAX_ZOOM"]:
        raise ApiError(422, "zoom", f"Zoomniveau moet tussen {config['TILE_MIN_ZOOM']} en "
                                    f"{config['TILE_MAX_ZOOM']} liggen")
    if not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise ApiError(422, "tile", "Deze tegel bestaat niet")
    west, south, east, north = tile_bounds(z, x, y)
    if east < NL_LON[0] or west > NL_LON[1] or north < NL_LAT[0] or south > NL_LAT[1]:
        raise ApiError(422, "outside_nl", "Alleen kaarten van Nederland")


def _cache_path(z: int, x: int, y: int) -> str:
    return os.path.join(current_app.config["TILE_CACHE_DIR"], str(z), str(x), f"{y}.png")


def _trim(root: str, limit: int) -> None:
    """Remove the oldest tiles until the cache is under 90 % of ``limit`` bytes."""
    with _trim_lock:
        files = []
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:
                    continue
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        if total <= limit:
            return
        for _, size, path in sorted(files):
            if total <= limit * 0.9:
                break
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            total -= size


def _store(path: str, body: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(body)
    os.replace(temporary, path)  # readers never see half a tile
    config = current_app.config
    if next(_writes) % 100 == 0:  # walking the folder costs: once per hundred new tiles
        _trim(config["TILE_CACHE_DIR"], config["TILE_CACHE_MB"] * 1024 * 1024)


@blp.route("/tiles/<int:z>/<int:x>/<int:y>.png", methods=["GET"])
@require_auth()
def tile(z: int, x: int, y: int):  # type: ignore[no-untyped-def]
    """A map tile (PDOK BRT-Achtergrondkaart by default), Netherlands only."""
    _check_tile(z, x, y)
    config = current_app.config
    path = _cache_path(z, x, y)
    body: bytes | None = None
    try:
        if time.time() - os.path.getmtime(path) < config["TILE_CACHE_DAYS"] * 86400:
            with open(path, "rb") as handle:
                body = handle.read()
    except FileNotFoundError:
        pass
    if body is None:
        body, _ = _fetch(config["TILE_URL"].format(z=z, x=x, y=y))
        if not body.startswith(PNG):
            raise ApiError(502, "pdok_error", "PDOK stuurde geen kaarttegel")
        _store(path, body)
    response = Response(body, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@blp.route("/tiles/offline", methods=["GET"])
@require_auth()
def offline_tiles():  # type: ignore[no-untyped-def]
    """What a device keeps offline of its own wijk's map: the zoom levels (coarse first)
    and at most ``max_bytes`` of tiles, fetched ahead through ``/api/tiles``."""
    config = current_app.config
    low = max(config["OFFLINE_TILES_MIN_ZOOM"], config["TILE_MIN_ZOOM"])
    high = min(config["OFFLINE_TILES_MAX_ZOOM"], config["TILE_MAX_ZOOM"])
    return {"max_bytes": max(0, int(config["OFFLINE_TILES_MB"] * 1024 * 1024)),
            "min_zoom": low, "max_zoom": max(low, high)}


def _house_number(doc: dict[str, Any]) -> str | None:
    number = doc.get("huisnummer")
    if number is None:
        return None
    letter = doc.get("huisletter") or ""
    addition = doc.get("huisnummertoevoeging") or ""
    return f"{number}{letter}" + (f"-{addition}" if addition else "")


@blp.route("/geocode/reverse", methods=["GET"])
@require_auth()
def reverse():  # type: ignore[no-untyped-def]
    """The nearest address to a point (PDOK Locatieserver), Netherlands only."""
    lat, lon = point_args()
    query = urllib.parse.urlencode({
        "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "type": "adres", "rows": 1,
        "fl": "straatnaam,huisnummer,huisletter,huisnummertoevoeging,postcode,"
              "woonplaatsnaam,afstand"})
    url = current_app.config["GEOCODE_URL"]
    body, _ = _fetch(f"{url}{'&' if '?' in url else '?'}{query}")
    try:
        docs = orjson.loads(body)["response"]["docs"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise ApiError(502, "pdok_error", "PDOK gaf een onleesbaar antwoord") from None
    if not docs:
        raise ApiError(404, "no_address", "Geen adres gevonden in de buurt")
    doc = docs[0]
    return {"street": doc.get("straatnaam"), "house_number": _house_number(doc),
            "postcode": doc.get("postcode"), "place": doc.get("woonplaatsnaam"),
            "distance_m": doc.get("afstand")}
