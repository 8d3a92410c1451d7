"""The prepared dataset computed on Apache Spark (``engine: spark`` in the params file).

The report never runs on Spark: Spark only *prepares* the dataset (:mod:`kit.dataset`), the
one step that reads every raw event and order line, and writes it in exactly the layout the
local engine writes (one Parquet file per table, ``sessions.parquet``, ``quality.json``,
``dataset.json``). :func:`kit.run.prepare_run` and every section then read it unchanged. With
``engine: spark``, Spark also cuts each run's slice (:func:`kit.spark.build.build_slice`, into
the dataset's ``slices/``) and counts the tables of a run whose settings differ from the
dataset's (:func:`kit.spark.build.build_counted`, into its ``counted/``).

One definition per engine, with a shared test of equality (``tests/test_spark.py``), not one
definition over narwhals, because:

- the local engine's preparation is polars code that is tuned for the 1M shop (streaming
  sinks, categorical ``min_by``, ``is_in`` chains instead of ``replace``) and is being
  changed by others; rewriting it over narwhals would change the local path, which must
  stay as it is;
- several steps depend on the order of rows as read (``unique(keep="first")`` of orders and
  customers, the numbering of sessions) or aggregate "the value at the earliest time"
  (``min_by``); narwhals' lazy API has no ``keep="first"`` for lazy frames, no ``min_by``
  aggregation and no access to a file's read position, so those would need backend code
  anyway;
- the loader's checks (encodings, separators, dates in a dozen formats, Excel) are far more
  than a table definition: on Spark only what scales is redone (see :mod:`kit.spark.load`).

The layout is never written twice by hand: each Spark table is cast to the column names and
types the local functions give on an empty frame of the same input columns
(:func:`kit.spark.layout.local_schema`), so a column the local engine adds or reorders shows
up as a failing equality test, not as a silently different dataset.

The engine is not part of the dataset's cache key (:func:`kit.dataset.settings`): both engines
prepare the same dataset (the tests hold every table equal, sorted, and the reports made from
them equal), so a dataset prepared on Spark by ``kit prepare`` serves ``kit publish`` whatever
its params' engine, and a nightly Spark job and a report machine agree on the key. Which engine
made a dataset is recorded in its ``dataset.json`` (``engine``).

Spark writes each table as a folder of part files; they are merged into the one
``<table>.parquet`` the local readers open (:mod:`kit.spark.write` says why and what it costs).

Modules: :mod:`~kit.spark.session` (starting Spark, with one message when pyspark or Java
is missing), :mod:`~kit.spark.load` (reading, mapping, conforming and counting problems),
:mod:`~kit.spark.tables` (the prepared tables), :mod:`~kit.spark.write` (Parquet out, into the
dataset folder) and :mod:`~kit.spark.build` (the whole preparation).
"""
