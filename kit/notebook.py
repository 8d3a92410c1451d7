"""What every section notebook does first and the few display calls they share.

Headings and narrative are written from code in the run's language; the publisher turns
these Markdown outputs into real headings (numbered, in the table of contents).
"""

from __future__ import annotations

import logging
import warnings

from IPython.display import Markdown, display

from kit.run import Run, open_run


def start(params_path=None, run_name=None, work_dir=None) -> Run:
    """Set the chart theme, silence library chatter, and open the run the notebook reports on."""
    from kit.charts import use_theme

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    use_theme()
    return open_run(params_path, run_name, work_dir)


def heading(text: str, level: int = 1) -> None:
    """A report heading (level 1 = the section, 2 = a subsection)."""
    display(Markdown(f"{'#' * level} {text}"))


def say(*sentences: str) -> None:
    """A paragraph of generated narrative."""
    text = " ".join(s for s in sentences if s)
    if text:
        display(Markdown(text))
