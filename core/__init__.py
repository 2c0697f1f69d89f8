"""CNN Lab core library: plain Python (numpy / torch / opencv). Never imports streamlit."""

__version__ = "0.1.0"
