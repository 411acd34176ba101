"""How the review list's search turns typed words into index queries (server/search.py)."""

from __future__ import annotations

import sqlite3

import pytest

from server.search import MAX_WORDS, _matching, fts5_query, tsquery, words


def test_words_without_a_letter_or_digit_are_left_out_and_eight_at_most() -> None:
    assert words('  Jansen  "  * - NEAR( 12 ') == ["Jansen", "NEAR(", "12"]
    assert words("_ __ ...") == []
    assert len(words(" ".join(f"w{n}" for n in range(20)))) == MAX_WORDS


def test_fts5_query_quotes_every_word_as_text_with_a_prefix_star() -> None:
    assert fts5_query(["Jansen", 'a"b', "NEAR(x"]) == '"Jansen"* AND "a""b"* AND "NEAR(x"*'


@pytest.mark.parametrize("word", ['"', 'NEAR(a b, 2)', "*", "a OR b", "x:y", "^a", "-a",
                                  "a AND", "(", "{a b}", "a\"*", '""""'])
def test_fts5_never_reads_a_typed_word_as_syntax(word: str) -> None:
    # the real FTS5 parser: a syntax error would be an OperationalError
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, "
                       "tokenize='unicode61 remove_diacritics 2')")
    connection.execute("INSERT INTO t (body) VALUES ('a b near x y')")
    connection.execute("SELECT rowid FROM t WHERE t MATCH ?",
                       (fts5_query([word, "b"]),)).fetchall()


def test_tsquery_makes_a_phrase_of_a_words_parts_and_escapes_quotes() -> None:
    assert tsquery(["jansen de", "vries"]) == "('jansen' <-> 'de':*) & ('vries':*)"
    assert tsquery(["o'neil", "a\\b"]) == "('o''neil':*) & ('a\\\\b':*)"
    assert tsquery(["", "  "]) == ""


_TEXTS = ["Betrokkene Jansen reed door rood.", "Mevrouw Müller stak over bij Café Olé.",
          'Kop-staartbotsing; "Jansen-de Vries" (50 km/u).', "Niemand gewond, geen NEARbij.",
          "Straße naar Ærø, ÉCOLE Çedille", "a_b c1d 12,5 x/y", "日本 test", "naïef coördinaat"]
_QUERIES = ["jans", "JANSEN", "muller", "MÜLL", "cafe ole", "ansen", "kop-staart",
            '"jansen-de"', "(jansen", "jansen*", "km/u 50", "vries de-jansen", "de-vries",
            "straß", "aerø", "ecole", "cedil", "a_b", "b", "c1", "12,5", "x/y", "日本", "naief",
            "coordinaat", "NEAR(", "geen NEARbij", "rood jansen", "jansen blauw"]


@pytest.mark.parametrize("q", _QUERIES)
def test_the_direct_check_of_fresh_registrations_matches_as_fts5_does(q: str) -> None:
    # the search's test of registrations the index has not caught up with (server/search.py)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, "
                       "tokenize='unicode61 remove_diacritics 2')")
    connection.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)", enumerate(_TEXTS))
    found = words(q)
    by_fts5 = sorted(str(r) for (r,) in connection.execute(
        "SELECT rowid FROM t WHERE t MATCH ?", (fts5_query(found),)))
    direct = sorted(_matching(found, [(str(n), {"narrative": t}) for n, t in enumerate(_TEXTS)]))
    assert direct == by_fts5
