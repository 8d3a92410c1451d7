"""The analyst's desk: what an analyst uses to open, change and extend the section notebooks.

- :mod:`kit.desk.notebooks`: reading and writing ``.ipynb`` files exactly as nbformat writes them;
- :mod:`kit.desk.headings`: the Markdown heading cells JupyterLab's table of contents lists before
  a notebook runs, and the section numbers it shows (``kit toc``);
- :mod:`kit.desk.new_section`: an analyst's own section from a template (``kit new-section``);
- :mod:`kit.desk.lab`: JupyterLab on ``notebooks/`` with the project's kernel (``make lab``).
"""
