"""The scorecard data's values: read a column at a time, each comes out as converting it value by value did."""

from __future__ import annotations

import duckdb
import numpy as np

from orchestration.lib import report


def _shard_table(sql: str, order_by: str = "shard, partner_id") -> tuple[duckdb.DuckDBPyConnection, report._ShardTable]:
    """A new in-memory database where `sql` creates table `t` (a `shard` column first), read as one group of
    shards is read for the scorecard data."""
    con = duckdb.connect()
    con.execute(sql)
    return con, report._ShardTable(con, "select * from t", order_by)


def test_each_duckdb_type_becomes_the_value_a_value_by_value_conversion_gives():
    """Decimals (read as text), dates, timestamps, doubles with NaN, lists, booleans and integers (a hugeint too),
    with a row of nulls: `_ShardTable` gives `_round(_plain(value))` of what DuckDB's own Python values are, and the
    shard's rows only."""
    con, table = _shard_table(
        "create table t as select * from (values "
        "(0, 'P1', 1234.5678::decimal(38, 4), 900000.1234567891::decimal(38, 10), date '2025-03-01', "
        "timestamp '2025-03-01 12:00:00', 0.1::double + 0.2::double, 'nan'::double, ['a', 'b'], true, 7::bigint, "
        "12345678901234567890::hugeint), "
        "(0, 'P2', null, null, null, null, null, null, null, null, null, null), "
        "(1, 'P3', 1.0, 2.0, date '2025-04-01', null, 0.5, 1.5, [], false, 8, 9)) "
        "v(shard, partner_id, money, contribution, day, stamped_at, rate, not_a_number, codes, flag, n, total)"
    )

    names, columns = table.shard(0)

    direct = con.execute("select * exclude (shard) from t where shard = 0 order by partner_id").fetchall()
    assert columns == [[report._round(report._plain(v)) for v in column] for column in zip(*direct, strict=True)]
    value = dict(zip(names, (column[0] for column in columns), strict=True))
    assert value == {
        "partner_id": "P1",
        "money": 1234.5678,
        "contribution": 900000.1235,  # ten significant digits
        "day": "2025-03-01",
        "stamped_at": "2025-03-01T12:00:00",
        "rate": 0.3,  # not 0.30000000000000004
        "not_a_number": None,
        "codes": ["a", "b"],
        "flag": True,
        "n": 7,
        "total": 12345678901234567890,  # a sum of integers in DuckDB
    }
    assert type(value["total"]) is int  # not Arrow's Decimal, which compares equal but no JSON encoder writes
    assert [column[1] for column in columns] == ["P2"] + [None] * (len(names) - 1)
    assert table.shard(1)[1][0] == ["P3"]
    assert table.shard(2)[1][0] == []


def test_rounding_a_column_at_once_gives_what_formatting_each_value_gives():
    """`_round_significant` against `float(format(v, '.10g'))` for each value: money with four decimals, rates,
    values from 1e-30 to 1e34, values whose eleventh digit is a 5 (ties), and the edges (zeros, the smallest and
    largest doubles, powers of ten, infinities). Equal value for value, the sign of zero included."""
    rng = np.random.default_rng(17)
    values = np.concatenate(
        [
            rng.standard_normal(50_000) * 10.0 ** rng.integers(-30, 35, 50_000),
            np.round(rng.uniform(-1e7, 1e7, 50_000), 4),
            rng.uniform(0, 1, 50_000),
            (rng.integers(1, 10**11, 50_000) * 10 + 5) / 10.0 ** rng.integers(0, 12, 50_000),
            [0.0, -0.0, 5e-324, 1.7976931348623157e308, 1e-13, 1e22, 1e23, 9999999999.5, 0.1 + 0.2, np.inf, -np.inf],
        ]
    )

    rounded = report._round_significant(values)

    expected = np.array([float(format(v, ".10g")) for v in values.tolist()])
    assert rounded.tolist() == expected.tolist()
    assert np.signbit(rounded).tolist() == np.signbit(expected).tolist()
    assert report._round_significant(np.array([123456.78901234, 0.1234567890123, 1234567890123.0])).tolist() == [
        123456.789,
        0.123456789,
        1234567890000.0,
    ]


def test_each_partner_gets_its_own_rows_as_lists():
    """`partner_lists`: per partner, in partner order, each column's values of its rows in their order, converted
    as `shard` converts them (rounded decimals and doubles, NaN as null, dates as text, lists value by value)."""
    _, table = _shard_table(
        "create table t as select * from (values "
        "(0, 'P1', date '2025-01-01', 1.23456789012::decimal(38, 11), 0.5::double, ['a']), "
        "(0, 'P1', date '2025-02-01', null, 'nan'::double, []), "
        "(0, 'P2', date '2025-01-01', 2.0, 1.0 / 3, null), "
        "(1, 'P3', date '2025-01-01', 3.0, 0.25, ['b'])) "
        "v(shard, partner_id, month_start_date, amount, rate, codes)",
        order_by="shard, partner_id, month_start_date",
    )

    ids, lists = table.partner_lists(0)

    assert ids == ["P1", "P2"]
    assert lists == {
        "month_start_date": [["2025-01-01", "2025-02-01"], ["2025-01-01"]],
        "amount": [[1.234567890, None], [2.0]],
        "rate": [[0.5, None], [0.3333333333]],
        "codes": [[["a"], []], [None]],
    }
    names, columns = table.shard(0)
    assert [lists[n][0] + lists[n][1] for n in names[1:]] == columns[1:]
    assert table.partner_lists(1) == (["P3"], {"month_start_date": [["2025-01-01"]], "amount": [[3.0]],
                                                "rate": [[0.25]], "codes": [[["b"]]]})
    assert table.partner_lists(2) == ([], {"month_start_date": [], "amount": [], "rate": [], "codes": []})


def test_decimals_from_cents_to_thirty_digits_come_out_as_their_python_decimals_rounded():
    """Decimal(38, 4) values read as text, parsed by Arrow and rounded a column at a time: the same floats as DuckDB's
    own Python `Decimal` of each value through `_round(_plain(value))`, on 20,000 values of 1 to 34 digits."""
    con, table = _shard_table(
        "select setseed(0.25); "
        "create table t as select 0 as shard, 'P' || lpad(cast(i as varchar), 5, '0') as partner_id, "
        "cast(round((random() - 0.3) * pow(10, cast(floor(random() * 30) as integer)), 4) as decimal(38, 4)) "
        "as amount from range(20000) r(i)"
    )

    _, (ids, amounts) = table.shard(0)

    direct = dict(con.execute("select partner_id, amount from t").fetchall())
    assert len(amounts) == 20_000
    assert amounts == [report._round(report._plain(direct[pid])) for pid in ids]
