"""Each Markov state's removal effect over the first-order chain of every path (CONTRACT section 9): SQL counts
the transitions (int_markov_transitions), numpy solves the chain (orchestration.attribution.markov)."""

import math

from orchestration.attribution.markov import removal_effects
from orchestration.model_tables import model_tables


def model(dbt, session):
    dbt.config(materialized="table")
    tables = model_tables(session)
    transitions = tables.arrays(dbt.ref("int_markov_transitions"))
    effects = removal_effects(transitions["from_state"], transitions["to_state"], transitions["transitions"])
    rows = [
        f"({_sql_string(state)}, {_sql_double(effect)}, {_sql_double(share)})"
        for state, effect, share in zip(effects.states.tolist(), effects.removal_effect, effects.share, strict=True)
    ]
    # The results go back as SQL text: DuckDB imports pandas, where it is installed (the test extra), to bind
    # any Python value, a parameter, an Arrow table or a numpy array, and that import costs seconds a run.
    # A VALUES list needs one row, so no state at all is a null row filtered out.
    return tables.sql(
        f"""
        select
            cast(markov_state as string) as markov_state,
            cast(removal_effect as double) as removal_effect,
            cast(removal_effect_share as double) as removal_effect_share
        from (values {", ".join(rows) or "(null, null, null)"}) as effects (
            markov_state, removal_effect, removal_effect_share
        )
        where markov_state is not null
        """
    )


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_double(value: float) -> str:
    """NaN (a share when nothing converts) is null."""
    return "null" if math.isnan(value) else repr(float(value))
