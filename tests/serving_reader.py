"""A BI tool in miniature: queries the serving copy in a loop, in its own process, until told to stop.

Run as `python serving_reader.py SERVING_DB STOP_FILE RESULT_JSON`. It connects as BI tools do, through
SQLAlchemy and duckdb-engine with the URL the README gives; each query opens a connection afresh, as a
dashboard refresh would, and checks that the marts agree with each other within one snapshot.
"""

import json
import sys
import time
from pathlib import Path

import sqlalchemy
from sqlalchemy.pool import NullPool

from orchestration.serving import serving_url

CONSISTENCY = """
select
    (select count(*) from marts.fct_sessions),
    (select coalesce(sum(sessions), 0) from marts.fct_funnel_daily),
    (select max(published_at)::varchar from meta.publication)
"""


def main(serving: Path, stop: Path, result: Path) -> None:
    queries, errors, inconsistent, publications = 0, [], [], set()
    engine = sqlalchemy.create_engine(serving_url(serving), poolclass=NullPool)
    while not stop.exists():
        if not serving.exists():
            time.sleep(0.05)
            continue
        try:
            with engine.connect() as con:
                sessions, funnel_sessions, published_at = con.execute(sqlalchemy.text(CONSISTENCY)).one()
        except sqlalchemy.exc.DBAPIError as error:
            errors.append(str(error))
            continue
        finally:
            queries += 1
        publications.add(published_at)
        if sessions != funnel_sessions:
            inconsistent.append([sessions, funnel_sessions, published_at])
        time.sleep(0.02)
    result.write_text(
        json.dumps(
            {"queries": queries, "errors": errors, "inconsistent": inconsistent, "publications": len(publications)}
        )
    )


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:4]))
