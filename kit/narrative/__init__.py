"""Generated narrative: the two or three sentences after each chart, from templates in
:mod:`kit.i18n`, one module per report part. Each function takes the figure tables and the
language and returns sentences; none is written for any particular data set."""
