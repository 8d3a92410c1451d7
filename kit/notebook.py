"""What every section notebook does first and the few display calls they share.

Headings and narrative are written from code in the run's language; the publisher turns
these Markdown outputs into real headings (numbered, in the table of contents).
"""

from __future__ import annotations

import html
import logging
import re
import warnings

from IPython.display import Markdown, display

from kit.i18n import Locale
from kit.run import Run, open_run


def start(params_path=None, run_name=None, work_dir=None) -> Run:
    """Set the chart theme, silence library chatter, and open the run the notebook reports on."""
    from kit.charts import use_theme

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    use_theme()
    _release_collector_after_each_cell()
    return open_run(params_path, run_name, work_dir)


def _release_collector_after_cell(result=None) -> None:
    from kit.charts import release_collector

    release_collector()


def _release_collector_after_each_cell() -> None:
    """In a kernel, resume at the end of every cell the collector a chart paused
    (:func:`kit.charts.release_collector`): a chart an analyst builds and never closes does
    not keep it paused past its cell."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and _release_collector_after_cell not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _release_collector_after_cell)


def warm_up() -> None:
    """Import the chart, table and narrative modules and draw one throwaway chart with the
    theme's CJK font: ~1.5 s of imports and font loading that ``kit publish`` lets the kernel
    spend while the run's data is still being prepared, instead of in the first section."""
    import io

    import matplotlib.pyplot as plt

    import kit.charts.conversion
    import kit.charts.profile
    import kit.charts.retention
    import kit.charts.rfm
    import kit.display
    import kit.figures.conversion
    import kit.figures.profile
    import kit.figures.value
    import kit.narrative.conversion
    import kit.narrative.profile  # noqa: F401
    from kit.charts import use_theme

    use_theme()
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.set_title("客户 Customers")
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~])")
"""The ASCII punctuation CommonMark gives a meaning (emphasis, links, images, headings, lists,
tables, code), except ``.`` and ``:``, which mean nothing inside a sentence."""


def as_markdown(text: str) -> str:
    """Plain text (a sentence quoting values from the data: region, category, channel names)
    as Markdown that shows exactly that text: HTML's ``& < >`` as entities, so that
    ``<script>`` or ``<img onerror=...>`` stays text, and Markdown's punctuation
    backslash-escaped, so that ``[x](javascript:...)`` is not a link and ``# x`` not a heading."""
    escaped = html.escape(text, quote=False)
    escaped = MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
    return re.sub(r"^(\s*\d+)\.", r"\1\\.", escaped, flags=re.M)  # "1. " would start a list


def heading(text: str, level: int = 1) -> None:
    """A report heading (level 1 = the section, 2 = a subsection)."""
    display(Markdown(f"{'#' * level} {as_markdown(text)}"))


CLOSING_CJK = "。！？；：，、）」』"
"""Full-width punctuation a Chinese sentence (or clause) ends with: no space follows it."""


def join_sentences(sentences) -> str:
    """Sentences one after another: a space after an English one, none after a Chinese one
    (Chinese text has no ASCII space after its full-width punctuation; see :func:`kit.i18n.tidy`)."""
    text = ""
    for s in (s for s in sentences if s):
        text += s if not text or text[-1] in CLOSING_CJK else " " + s
    return text


def in_language(loc: Locale, **texts: str) -> str:
    """The text in the run's language, from one keyword per language (``zh=..., en=...``).

    The kit's own sections keep their words in the translation table of :mod:`kit.i18n`; an
    analyst's own section (``kit new-section``) keeps them beside its code with this, so that
    the whole section is one notebook. The heading cells of JupyterLab's table of contents read
    the ``zh`` text of ``nbk.heading(nbk.in_language(loc, zh=..., en=...))`` (``kit toc``)."""
    from kit.errors import KitError

    if loc.lang not in texts:
        raise KitError(f"in_language({', '.join(f'{k}=...' for k in texts)}) has no text for this run's language "
                       f"{loc.lang!r}: add {loc.lang}=\"...\".")
    return texts[loc.lang]


def say(*sentences: str) -> None:
    """A paragraph of generated narrative (plain text: it is escaped, see :func:`as_markdown`)."""
    text = join_sentences(sentences)
    if text:
        display(Markdown(as_markdown(text)))


SMALL_SAMPLE = 100
"""Below this many customers (or sessions) a figure still shows, with a small-sample note."""


def available(figure, loc: Locale) -> bool:
    """Whether a figure (from :mod:`kit.figures`) has data to show. When the run's data lacks
    what it needs (a :class:`~kit.figures.Missing`), one visible line says what and how to
    add it, and the notebook skips the figure's chart and sentences (False)."""
    from kit import display
    from kit.figures import Missing

    if isinstance(figure, Missing):
        display.missing(figure.note(loc))
        return False
    return figure is not None


def sample_note(n: int | None, unit: str, loc: Locale) -> bool:
    """Show the small-sample note when ``n`` is below :data:`SMALL_SAMPLE`; True if shown."""
    from kit import display

    if n is not None and n < SMALL_SAMPLE:
        display.small_sample(int(n), unit, loc)
        return True
    return False
