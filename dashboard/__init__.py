"""The Streamlit shell of CNN Lab: entry point, model cache, shared widgets, live glue."""
