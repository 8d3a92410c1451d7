"""Customer-analysis report kit for online shops: metrics in polars, reports via papermill."""

__version__ = "0.1.0"
