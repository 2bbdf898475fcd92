"""What the Python models (Markov attribution, demand forecast, CLV, purchase propensity) ask of the engine
that runs them, as one small interface with an implementation per dbt target.

dbt hands a Python model its engine's own objects: on DuckDB a connection and DuckDB relations, on Spark a
SparkSession and DataFrames. The models read their inputs and their own last result only through
`model_tables(session)`, so the same model code runs on both, and the modelling code in orchestration/
never sees an engine at all.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class ModelTables(Protocol):
    def frame(self, relation: Any, order_by: str | None = None) -> "pd.DataFrame":
        """A whole relation as pandas, in the given order (SQL `order by` text)."""

    def arrays(self, relation: Any) -> "dict[str, np.ndarray]":
        """A whole relation as one numpy array per column, without pandas where the engine allows."""

    def value(self, relation: Any, expression: str) -> Any:
        """One aggregate of a relation, e.g. `max(date_day)`."""

    def exists(self, this: Any) -> bool:
        """Whether the model's own table exists (from an earlier build)."""

    def column_names(self, this: Any) -> set[str]:
        """The columns of an existing table."""

    def row(self, sql: str) -> tuple | None:
        """The first row of a query, timestamps as UTC instants; None when there is none."""

    def query_frame(self, sql: str) -> "pd.DataFrame":
        """A query's result as pandas, timestamps as UTC instants, dates as dates: a model that returns a table it
        kept (a fit) writes it back with the types it had."""

    def sql(self, sql: str) -> Any:
        """A query as the engine's own relation, to return as the model's result."""

    def result(self, frame: "pd.DataFrame") -> Any:
        """A pandas result in the form the engine's dbt materialization takes."""


class DuckDBTables:
    def __init__(self, session: duckdb.DuckDBPyConnection) -> None:
        self.session = session

    def frame(self, relation: duckdb.DuckDBPyRelation, order_by: str | None = None) -> "pd.DataFrame":
        return (relation.order(order_by) if order_by else relation).df()

    def arrays(self, relation: duckdb.DuckDBPyRelation) -> "dict[str, np.ndarray]":
        return relation.fetchnumpy()

    def value(self, relation: duckdb.DuckDBPyRelation, expression: str) -> Any:
        return relation.aggregate(expression).fetchone()[0]

    def exists(self, this: Any) -> bool:
        return bool(
            self.session.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [this.schema, this.identifier],
            ).fetchone()[0]
        )

    def column_names(self, this: Any) -> set[str]:
        return {name for (name,) in self.session.execute(f"select column_name from (describe {this})").fetchall()}

    def row(self, sql: str) -> tuple | None:
        return self.session.execute(sql).fetchone()

    def query_frame(self, sql: str) -> "pd.DataFrame":
        return self.session.sql(sql).df(date_as_object=True)

    def sql(self, sql: str) -> duckdb.DuckDBPyRelation:
        return self.session.sql(sql)

    def result(self, frame: "pd.DataFrame") -> "pd.DataFrame":
        return frame


class SparkTables:
    """pyspark turns timestamps into naive local datetimes; funnelhouse-dbt-spark runs in UTC (spark_dbt.py),
    so they are UTC instants, and are marked so to compare with the DuckDB side's."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def frame(self, relation: Any, order_by: str | None = None) -> "pd.DataFrame":
        ordered = relation.orderBy(*[column.strip() for column in order_by.split(",")]) if order_by else relation
        return _utc_columns(ordered.toPandas())

    def arrays(self, relation: Any) -> "dict[str, np.ndarray]":
        table = self.frame(relation)
        return {column: table[column].to_numpy() for column in table.columns}

    def value(self, relation: Any, expression: str) -> Any:
        return relation.selectExpr(expression).first()[0]

    def exists(self, this: Any) -> bool:
        return self.session.catalog.tableExists(f"{this.schema}.{this.identifier}")

    def column_names(self, this: Any) -> set[str]:
        return set(self.session.table(f"{this.schema}.{this.identifier}").columns)

    def row(self, sql: str) -> tuple | None:
        first = self.session.sql(sql).first()
        return None if first is None else tuple(_utc(value) for value in first)

    def query_frame(self, sql: str) -> "pd.DataFrame":
        return _utc_columns(self.session.sql(sql).toPandas())

    def sql(self, sql: str) -> Any:
        return self.session.sql(sql)

    def result(self, frame: "pd.DataFrame") -> Any:
        """A Spark DataFrame: dbt-spark would go through pandas-on-Spark, which refuses time zones. An empty
        result gets its columns' types from the frame's dtypes, since Spark infers them from rows."""
        frame = _naive_utc_columns(frame)
        if frame.empty:
            return self.session.createDataFrame([], _spark_schema(frame))
        return self.session.createDataFrame(frame)


def model_tables(session: Any) -> ModelTables:
    """By the session dbt hands the model: dbt-duckdb's is a DuckDB connection (or its own wrapper of one)."""
    return SparkTables(session) if type(session).__module__.startswith("pyspark") else DuckDBTables(session)


def _utc(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


def _utc_columns(table: "pd.DataFrame") -> "pd.DataFrame":
    import pandas as pd

    for column in table.columns:
        if pd.api.types.is_datetime64_dtype(table[column]) and table[column].dt.tz is None:
            table[column] = table[column].dt.tz_localize(UTC)
    return table


def _naive_utc_columns(table: "pd.DataFrame") -> "pd.DataFrame":
    import pandas as pd

    return table.assign(
        **{
            column: table[column].dt.tz_convert(UTC).dt.tz_localize(None)
            for column in table.columns
            if isinstance(table[column].dtype, pd.DatetimeTZDtype)
        }
    )


_SPARK_TYPES = {"i": "bigint", "u": "bigint", "f": "double", "b": "boolean", "M": "timestamp"}


def _spark_schema(table: "pd.DataFrame") -> str:
    return ", ".join(f"`{column}` {_SPARK_TYPES.get(table[column].dtype.kind, 'string')}" for column in table.columns)
