"""`funnelhouse-dbt-spark`: dbt, with the Python models of a `method: session` Spark target run in dbt's own
Spark session.

dbt-spark runs Python models only on Databricks (it submits them as notebooks to a cluster). With `method:
session` the Spark session lives in the dbt process itself, so a model's compiled code is simply executed
there, with the `spark` it expects. It also loads a seed's empty cells as nulls. Everything else is dbt's own
command line, unchanged.
"""

import os
import sys
import time
from typing import Any

SESSION = "session"


def _use_utc() -> None:
    """pyspark turns Spark timestamps into Python datetimes in the process's local time zone: UTC, as stored."""
    os.environ["TZ"] = "UTC"
    time.tzset()


def _workers_run_this_python() -> None:
    """Spark starts its Python workers (Python UDFs, pandas conversions) with whatever `python3` is on PATH,
    which lacks this environment's packages: they run this interpreter, unless the machine chose one."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def _python_models_in_session() -> None:
    from dbt.adapters.base.impl import PythonJobHelper
    from dbt.adapters.spark.impl import SparkAdapter

    class SessionPythonJobHelper(PythonJobHelper):
        def __init__(self, parsed_model: dict, credential: Any) -> None:
            self.name = f"{parsed_model['schema']}.{parsed_model['alias']}"

        def submit(self, compiled_code: str) -> None:
            from pyspark.sql import SparkSession

            exec(compile(compiled_code, f"<model {self.name}>", "exec"), {"spark": SparkSession.builder.getOrCreate()})

    helpers = SparkAdapter.python_submission_helpers.fget
    SparkAdapter.python_submission_helpers = property(
        lambda adapter: {**helpers(adapter), SESSION: SessionPythonJobHelper}
    )
    default = SparkAdapter.default_python_submission_method.fget
    SparkAdapter.default_python_submission_method = property(
        lambda adapter: SESSION if adapter.config.credentials.method == SESSION else default(adapter)
    )


def _seed_nulls_as_null() -> None:
    """dbt-spark's session connection writes a seed's empty cell as the text 'None': an empty pattern of
    seeds/channel_grouping.csv would then match nothing. An empty cell is null, as on every other adapter."""
    from dbt.adapters.spark.session import SessionConnectionWrapper

    as_sql = SessionConnectionWrapper._fix_binding.__func__
    SessionConnectionWrapper._fix_binding = classmethod(
        lambda wrapper, value: "null" if value is None else as_sql(wrapper, value)
    )


def main() -> None:
    _use_utc()
    _workers_run_this_python()
    _python_models_in_session()
    _seed_nulls_as_null()
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
