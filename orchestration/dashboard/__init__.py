"""The analysts' dashboard (`make dashboard`): a Streamlit app over the serving copy, read-only.

app.py lays out the page; source.py is the only module that reads (marts by SQL, KPIs through the semantic
layer); formats.py says how numbers are written; each tab is a module of its own.
"""
