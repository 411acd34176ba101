"""RD New on the server: the metres of PROJ's own choice for each Dutch point, in any thread."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from server import geo

FROM_CRS = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
# The Netherlands with a margin (the Wadden, Zeeland, Limburg's tip)
LAT = st.floats(50.6, 53.7)
LON = st.floats(3.2, 7.3)


@settings(max_examples=50)
@given(st.lists(st.tuples(LAT, LON), min_size=1, max_size=50))
def test_to_rd_gives_the_metres_from_crs_gives(points: list[tuple[float, float]]) -> None:
    xs, ys = FROM_CRS.transform([p[1] for p in points], [p[0] for p in points])
    expected = [(round(x, 3), round(y, 3)) for x, y in zip(xs, ys, strict=True)]
    assert geo.to_rd_many(points) == expected


def test_dam_square_in_rd_new() -> None:
    # The Dam in Amsterdam: RD New about (121,400, 487,400); Amersfoort's tower (155,000, 463,000)
    [(x, y)] = geo.to_rd_many([(52.3731, 4.8932)])
    assert abs(x - 121_400) < 200 and abs(y - 487_400) < 200
    [(x, y)] = geo.to_rd_many([(52.15517, 5.38721)])
    assert abs(x - 155_000) < 5 and abs(y - 463_000) < 5


def test_other_threads_convert_alike() -> None:
    points = [(52.0 + i / 100, 5.0 + i / 100) for i in range(20)]
    here = geo.to_rd_many(points)
    there: list[object] = []
    threads = [threading.Thread(target=lambda: there.append(geo.to_rd_many(points)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert there == [here] * 4


def test_one_pipeline_not_a_database_search_per_thread() -> None:
    # pyproj rebuilds a transformer in each new thread with the maker it was made by: one
    # from a pipeline parses its text, one from two CRSs searches PROJ's database again
    # (from_crs's 30 to 100 ms). The maker is private to pyproj; nothing public tells them
    # apart (a from_crs transformer's definition reads the same pipeline once it is used).
    transformer = geo._to_rd()
    assert transformer.definition.startswith("proj=pipeline")
    assert type(transformer._transformer_maker).__name__ == "TransformerFromPipeline"
    assert "proj=helmert" in transformer.definition  # Amersfoort ↔ WGS 84, no grid needed
