"""The scorecard data's values: read a column at a time, each comes out as converting it value by value did."""

from __future__ import annotations

import duckdb

from orchestration.lib import report


def test_each_duckdb_type_becomes_the_value_a_value_by_value_conversion_gives():
    """Decimals (read as text), dates, timestamps, doubles with NaN, lists, booleans and integers, with a row of
    nulls: `_ShardTable` gives `_round(_plain(value))` of what DuckDB's own Python values are, and the shard's
    rows only."""
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values "
        "(0, 'P1', 1234.5678::decimal(38, 4), 900000.1234567891::decimal(38, 10), date '2025-03-01', "
        "timestamp '2025-03-01 12:00:00', 0.1::double + 0.2::double, 'nan'::double, ['a', 'b'], true, 7::bigint), "
        "(0, 'P2', null, null, null, null, null, null, null, null, null), "
        "(1, 'P3', 1.0, 2.0, date '2025-04-01', null, 0.5, 1.5, [], false, 8)) "
        "v(shard, partner_id, money, contribution, day, stamped_at, rate, not_a_number, codes, flag, n)"
    )
    table = report._ShardTable(con, "select * from t", "shard, partner_id")

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
    }
    assert [column[1] for column in columns] == ["P2"] + [None] * (len(names) - 1)
    assert table.shard(1)[1][0] == ["P3"]
    assert table.shard(2)[1][0] == []
