"""Funnelhouse for analysts: `make dashboard` serves this page (streamlit run orchestration/dashboard/app.py).

Streamlit runs the script top to bottom on every interaction; what it reads is cached per publication of
the serving copy (source.py), so a rerun after `make run` shows the new numbers.
"""

import streamlit as st

from orchestration.dashboard import attribution, channels, customers, funnel, social, video
from orchestration.dashboard.source import serving_copy, serving_path

TABS = {
    "Funnel": funnel.render,
    "Channels": channels.render,
    "Video": video.render,
    "Attribution": attribution.render,
    "Social": social.render,
    "Customers": customers.render,
}

st.set_page_config(page_title="Funnelhouse", page_icon=":material/monitoring:", layout="wide")
st.title("Funnelhouse")

path = serving_path()
source = serving_copy(path)
if source is None:
    st.error(
        f"There is no serving copy at `{path}` yet: run `make run` first (or set FUNNELHOUSE_SERVING_DB to "
        "the serving copy to read).",
        icon=":material/database_off:",
    )
    st.stop()

currency = source.reporting_currency()
publication = source.publication()
run = f" by run `{publication.run_id[:8]}`" if publication.run_id else ""
st.caption(
    f"Serving copy published {publication.published_at:%Y-%m-%d %H:%M} UTC{run} · `{path}` · money in {currency}"
)
for (name, render), tab in zip(TABS.items(), st.tabs(list(TABS)), strict=True):
    with tab:
        # A tab that fails shows its error and leaves the other tabs working.
        try:
            render(source, currency)
        except Exception as error:
            st.error(f"The {name} tab could not be drawn.")
            st.exception(error)
