"""`funnelhouse-dbt-spark`: dbt, with the Python models of a `method: session` Spark target run in dbt's own
Spark session.

dbt-spark runs Python models only on Databricks (it submits them as notebooks to a cluster). With `method:
session` the Spark session lives in the dbt process itself, so a model's compiled code is simply executed
there, with the `spark` it expects. Everything else is dbt's own command line, unchanged.
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

            exec(compile(compiled_code, f"<model {self.name}>", "exec"), {"spark": SparkSession.getActiveSession()})

    helpers = SparkAdapter.python_submission_helpers.fget
    SparkAdapter.python_submission_helpers = property(
        lambda adapter: {**helpers(adapter), SESSION: SessionPythonJobHelper}
    )
    default = SparkAdapter.default_python_submission_method.fget
    SparkAdapter.default_python_submission_method = property(
        lambda adapter: SESSION if adapter.config.credentials.method == SESSION else default(adapter)
    )


def _quiet_spark() -> None:
    """Spark logs a warning for every query dbt sends (`Using an existing Spark session`) and draws progress
    bars: hundreds of lines that would bury dbt's own in a run's output. Its errors still show."""
    from pyspark.sql import SparkSession

    get_or_create = SparkSession.Builder.getOrCreate

    def quiet_get_or_create(builder: SparkSession.Builder) -> SparkSession:
        session = get_or_create(builder.config("spark.ui.showConsoleProgress", "false"))
        session.sparkContext.setLogLevel("ERROR")
        return session

    SparkSession.Builder.getOrCreate = quiet_get_or_create


def main() -> None:
    _use_utc()
    _workers_run_this_python()
    _python_models_in_session()
    _quiet_spark()
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
