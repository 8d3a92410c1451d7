"""Run parameters: the one definition of a report run, read from ``params/*.yaml``.

A params file describes one run, or several through ``matrix:`` (every combination of
the listed values becomes its own run). Relative data paths are resolved against the
folder of the params file. Errors name the file, the line, the key and what to do.
"""

from __future__ import annotations

import difflib
import itertools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kit.contract import EVENT_STEPS, TABLES
from kit.errors import ParamsError
from kit.periods import Period, PeriodError, comparison_for, parse_period


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CsvOptions(_Strict):
    separator: str | None = Field(
        None, description="column separator; default: comma (tab for .tsv), or whichever of , ; tab | splits "
                          "the header when that does not")
    encoding: str | None = Field(
        None, description="the file's encoding (utf-8, gb18030, utf-16, ...); default: detected")
    null_values: list[str] = Field(default_factory=lambda: ["", "NA", "NULL", "null", "-"])


class Database(_Strict):
    """A table read from a PostgreSQL database (through ADBC): a table or a query.

    The password never sits in the params file (nor in the params saved beside a report, the
    run log or the report): ``password_env`` names the environment variable that holds it."""

    url: str = Field(description="postgresql://USER@HOST:PORT/DBNAME (or ?host=/socket/dir), without a password")
    password_env: str | None = Field(None, description="environment variable holding the password")
    table: str | None = Field(None, description="table (or view) name, optionally schema.table")
    query: str | None = Field(None, description="a SELECT whose columns are the table's (instead of table)")

    @field_validator("url")
    @classmethod
    def _no_password(cls, v: str) -> str:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(v)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"url must start with postgresql:// (found {parts.scheme or 'no scheme'!r}); "
                             "PostgreSQL is the database the kit reads")
        if parts.password is not None or "password" in parse_qs(parts.query):
            raise ValueError("the url holds a password: remove it and name the environment variable that holds it "
                             "with password_env (e.g. password_env: SHOP_DB_PASSWORD)")
        return v

    @model_validator(mode="after")
    def _one_of(self) -> Database:
        if (self.table is None) == (self.query is None):
            raise ValueError("a database source needs either table or query (one of them)")
        return self

    def describe(self) -> str:
        """Where the rows come from, for messages and the run log (no password: the url has none)."""
        return f"{self.url} " + (f"table {self.table}" if self.table else "query")


class Source(_Strict):
    """Where one table comes from and how its columns map onto the contract."""

    path: str | None = Field(
        None, description="File, folder or glob; .csv/.tsv/.parquet/.xlsx/.xls, format from the extension.")
    database: Database | None = Field(None, description="instead of path: a database table or query")
    sheet: str | int | None = Field(None, description="Excel: the sheet's name or number (1 = first); default: the first")
    columns: dict[str, str] = Field(
        default_factory=dict, description="contract column -> the column's name in this file"
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="contract column -> {value in the file: contract value}, e.g. status: {已支付: paid}",
    )
    csv: CsvOptions = Field(default_factory=CsvOptions)
    datetime_format: str | None = Field(None, description="strftime format when autodetection fails")

    @model_validator(mode="after")
    def _where(self) -> Source:
        if (self.path is None) == (self.database is None):
            raise ValueError("a data source needs either path (files) or database (one of them)")
        return self


class Data(_Strict):
    orders: Source | None = None
    customers: Source | None = None
    order_items: Source | None = None
    events: Source | None = None
    marketing_spend: Source | None = None
    experiments: Source | None = None

    @model_validator(mode="after")
    def _check(self) -> Data:
        if self.orders is None and self.events is None:
            raise ValueError("data needs at least an orders or an events source")
        for name in TABLES:
            source = getattr(self, name)
            if source is None:
                continue
            known = [c.name for c in TABLES[name].columns]
            for col in list(source.columns) + list(source.values):
                if col not in known:
                    hint = difflib.get_close_matches(col, known, n=1)
                    raise ValueError(
                        f"data.{name}: {col!r} is not a column of the {name} table"
                        + (f" (did you mean {hint[0]!r}?)" if hint else "")
                        + f"; its columns are: {', '.join(known)}"
                    )
        return self

    def sources(self) -> dict[str, Source]:
        return {name: getattr(self, name) for name in TABLES if getattr(self, name) is not None}


class Conversion(_Strict):
    funnel_steps: list[str] = Field(default_factory=lambda: list(EVENT_STEPS))
    funnel_unit: Literal["session", "user"] = "session"
    user_window_days: int = Field(7, ge=1, description="per-user funnel: steps must follow within this many days")
    session_gap_minutes: int = Field(30, ge=1)
    cart_window_hours: float = Field(24, gt=0)
    at_risk_days: int = Field(90, ge=1)
    churn_days: int = Field(180, ge=1)

    @model_validator(mode="after")
    def _order(self) -> Conversion:
        if self.churn_days <= self.at_risk_days:
            raise ValueError("conversion.churn_days must be larger than conversion.at_risk_days")
        return self


class Rfm(_Strict):
    scheme: Literal["cn8", "rfm-grid", "kmeans"] | None = Field(
        None, description="cn8 (default for zh), rfm-grid (default for en) or kmeans"
    )
    split: Literal["mean", "median"] = "mean"
    kmeans_k_min: int = Field(3, ge=2)
    kmeans_k_max: int = Field(8, ge=2)
    seed: int = 7


class Clv(_Strict):
    horizon_months: int = Field(12, ge=1)
    time_unit: Literal["day", "week"] = "week"
    min_repeat_buyers: int = Field(30, ge=1)


class Diagnosis(_Strict):
    """Thresholds of the rules engine (section 4)."""

    top_n: int = Field(5, ge=1)
    step_drop_high: float = Field(0.10, description="relative fall of a step conversion vs comparison: high")
    step_drop_medium: float = Field(0.05)
    cart_abandonment_high: float = Field(0.80)
    cart_abandonment_medium: float = Field(0.70)
    repurchase_low: float = Field(0.10, description="first-purchase 90-day repurchase below this is low")
    segment_change_high: float = Field(0.15, description="relative shrink/growth of a segment: high")
    segment_change_medium: float = Field(0.08)
    concentration_high: float = Field(0.80, description="GMV share of the top 20% customers: high")
    concentration_medium: float = Field(0.65)
    return_rate_high: float = Field(0.15)
    rating_low: float = Field(3.8)
    roi_drop_high: float = Field(0.35, description="relative fall of a channel's ROI vs comparison: high")
    roi_drop_medium: float = Field(0.20)
    churn_excess_high: float = Field(0.20, description="a place's churn rate above the rest of the shop's (relative): high")
    churn_excess_medium: float = Field(0.10)
    significance: float = Field(0.01, description="p-value a change between periods must reach to be a finding")
    changepoint_min_days: int = Field(3, ge=1)
    changepoint_min_drop: float = Field(0.15, description="relative drop a dated change point must show")


class Products(_Strict):
    """The goods and baskets section (商品与购物篮分析) and its diagnosis rules."""

    top_n: int = Field(20, ge=1, description="products in the sales x margin matrix and the product tables (by GMV)")
    sales_split: float | None = Field(None, ge=0, le=1, description="GMV share splitting high from low sales; "
                                                                    "default: the median of the items shown")
    margin_split: float | None = Field(None, description="gross-margin rate splitting high from low margin; "
                                                          "default: the median of the items shown")
    min_lines: int = Field(30, ge=1, description="order lines a category or product needs in the returns vs rating view")
    basket_products: int = Field(1000, ge=2, description="the top products (by baskets) product rules are sought among")
    min_support: float = Field(0.001, ge=0, le=1, description="share of baskets a pair needs to make a rule")
    min_baskets: int = Field(20, ge=1, description="baskets a pair needs to make a rule")
    min_confidence: float = Field(0.05, ge=0, le=1, description="confidence floor of the rules shown")
    max_basket_items: int = Field(50, ge=2, description="baskets with more distinct items are skipped (and counted)")
    cross_sell_lift: float = Field(1.5, gt=1, description="lift a rule needs to be a cross-sell opportunity")
    cross_sell_lift_high: float = Field(2.5, gt=1, description="lift of a medium cross-sell finding (else low)")
    cross_sell_top: int = Field(3, ge=1, description="cross-sell opportunities shown (category and product rules each)")
    high_gmv_share: float = Field(0.05, ge=0, le=1, description="GMV share from which a category or product is "
                                                                "watched for a margin fall")
    margin_fall_high: float = Field(0.08, ge=0, description="fall of the margin rate vs comparison (points / 100): high")
    margin_fall_medium: float = Field(0.04, ge=0)
    sell_through_fall_high: float = Field(0.15, ge=0, description="fall of 动销率 vs comparison (points / 100): high")
    sell_through_fall_medium: float = Field(0.08, ge=0)


EXPERIMENT_METRICS = ("conversion", "revenue", "orders", "order_value", "repurchase")
"""The outcomes an experiment readout can read per exposed unit (see :mod:`kit.metrics.experiments`)."""
SEGMENT_CUTS = ("device", "visitor", "region")


class Experiment(_Strict):
    """One experiment's own settings (``experiments.by_id.<experiment id>``); unset keys take
    the defaults under ``experiments:``."""

    name: str | None = Field(None, description="the name shown (default: experiment_name in the data, else the id)")
    control: str | None = Field(None, description="the control variant (default: is_control in the data, else a "
                                                  "variant named control, baseline, 对照 or A, else the first by name)")
    split: dict[str, float] | None = Field(None, description="the planned share of each variant (default: equal)")
    status: Literal["running", "concluded"] | None = Field(
        None, description="default: running when units were still exposed in the last running_days of the period")
    window_days: float | None = Field(None, gt=0)
    repurchase_days: int | None = Field(None, ge=1)
    primary_metric: str | None = None
    mde: float | None = Field(None, gt=0)
    alpha: float | None = Field(None, gt=0, lt=0.5)
    power: float | None = Field(None, gt=0.5, lt=1)
    area: Literal["marketing", "product_ux"] | None = None

    @field_validator("split")
    @classmethod
    def _split(cls, v):
        if v is not None and (not v or any(w < 0 for w in v.values()) or sum(v.values()) <= 0):
            raise ValueError("split gives each variant a share >= 0, e.g. {A: 0.5, B: 0.5}")
        return v


class Experiments(_Strict):
    """How the experiment readout (A/B测试) reads every experiment; defaults as GrowthBook's
    frequentist engine documents them (72-hour conversion window, CUPED lookback 14 days,
    alpha 5%, SRM below p 0.001, a target effect of 10%)."""

    window_days: float = Field(3, gt=0, description="outcomes count from a unit's exposure to this many days "
                                                    "after it (a paid order, orders, revenue, funnel steps)")
    repurchase_days: int = Field(30, ge=1, description="repurchase: a second paid order within this many days "
                                                       "of the exposure")
    primary_metric: str = Field("conversion", description="the metric the verdict and the diagnosis read")
    metrics: list[Literal["conversion", "revenue", "orders", "order_value", "repurchase"]] = Field(
        default_factory=lambda: list(EXPERIMENT_METRICS))
    steps: list[str] = Field(default_factory=list, description="funnel steps whose reach is also read "
                                                               "(step:add_to_cart ...; needs events)")
    cuped: bool = Field(True, description="adjust each metric by its value before the exposure (CUPED)")
    cuped_lookback_days: int = Field(14, ge=1, description="the days before the exposure CUPED reads")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="significance level of the verdicts (two-sided)")
    power: float = Field(0.8, gt=0.5, lt=1, description="power of the minimum detectable effect")
    mde: float = Field(0.10, gt=0, description="the relative effect the tests are planned to detect: a test "
                                               "whose minimum detectable effect is larger is underpowered")
    srm_alpha: float = Field(0.001, gt=0, lt=0.5, description="a sample ratio mismatch below this p-value fails")
    correction: Literal["holm", "bh", "none"] = Field("holm", description="across the variants of an experiment")
    segment_correction: Literal["holm", "bh", "none"] = Field("bh", description="across its segment cuts")
    segments: list[Literal["device", "visitor", "region"]] = Field(default_factory=lambda: list(SEGMENT_CUTS))
    running_days: int = Field(2, ge=1, description="an experiment that exposed units in the period's last "
                                                   "running_days days (or after the period) is still running")
    multiple_exposure_warning: float = Field(0.01, ge=0, le=1, description="warn when more than this share of "
                                                                            "units saw several variants")
    area: Literal["marketing", "product_ux"] = Field("product_ux", description="where a finding goes in the "
                                                                                "action plan")
    by_id: dict[str, Experiment] = Field(default_factory=dict, description="experiment id -> its own settings")

    @model_validator(mode="after")
    def _check(self) -> Experiments:
        for step in self.steps:
            if step not in EVENT_STEPS:
                raise ValueError(f"experiments.steps: {step!r} is not a funnel step; use {', '.join(EVENT_STEPS)}")
        known = [*self.metrics, *(f"step:{s}" for s in self.steps)]
        for where, metric in [("experiments.primary_metric", self.primary_metric)] + [
                (f"experiments.by_id.{k}.primary_metric", e.primary_metric) for k, e in self.by_id.items()
                if e.primary_metric]:
            if metric not in known:
                hint = difflib.get_close_matches(metric, known, n=1)
                raise ValueError(f"{where}: {metric!r} is not one of the metrics read ({', '.join(known)})"
                                 + (f"; did you mean {hint[0]!r}?" if hint else ""))
        return self

    def settings_for(self, experiment_id: str) -> dict[str, Any]:
        """Every setting of one experiment: its own (``by_id``) over the defaults."""
        own = self.by_id.get(experiment_id)
        merged = self.model_dump(exclude={"by_id"})
        merged.update({"name": None, "control": None, "split": None, "status": None})
        if own is not None:
            merged.update({k: v for k, v in own.model_dump().items() if v is not None})
        return merged


class Spark(_Strict):
    """Where the Spark preparation runs (``engine: spark``): the master URL and Spark settings."""

    master: str = Field("local[*]", description="Spark master URL: local[2], spark://host:7077, yarn, k8s://...")
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Spark settings, e.g. spark.driver.memory: 4g, spark.hadoop.fs.s3a.endpoint: ...")
    staging: str | None = Field(
        None, description="folder (URI) the executors write the prepared tables into before the driver copies them "
                          "into the dataset cache: hdfs://... or s3a://... on a cluster; default: beside the cache "
                          "(local mode, or a cache on a mount every executor shares)")

    rows_at: str | None = Field(
        None, description="folder (URI) where the tables with a row per event, session or cart (events, sessions, "
                          "carts, cart lines) stay: s3a://..., gs://..., abfss://... or a mount the report machine "
                          "shares; the dataset cache then holds only what the figures read. Default: every table "
                          "is copied into the dataset cache")

    @field_validator("rows_at")
    @classmethod
    def _rows_at(cls, v: str | None) -> str | None:
        if v is not None and is_remote(v) and not v.startswith(READABLE_ROWS):
            raise ValueError(f"{v!r}: the report machine reads the rows it needs from there with polars, which reads "
                             f"{', '.join(READABLE_ROWS)} or a local folder (a mount); choose one of those, or leave "
                             "rows_at out to copy every table into the dataset")
        return v

    @field_validator("master")
    @classmethod
    def _master(cls, v: str) -> str:
        if not re.match(r"^(local(\[(\*|\d+)(,\d+)?\])?|spark://.+|yarn|k8s://.+|mesos://.+)$", v):
            raise ValueError(f"{v!r} is not a Spark master URL; use local[2], spark://HOST:7077, yarn or k8s://...")
        return v


class RunParams(_Strict):
    """One report run: a period for a slice of one shop's data."""

    name: str | None = Field(None, description="run name prefix; default: the params file's stem")
    title: str | None = None
    period: str | dict
    comparison: str | dict | None = "previous"
    slice: dict[str, str | int | float | list[str | int | float]] = Field(default_factory=dict)
    data: Data
    events: dict[str, str] = Field(
        default_factory=dict,
        description="the data's event name -> view, product_view, add_to_cart, checkout or pay",
    )
    lang: Literal["zh", "en"] = "zh"
    currency: str = "¥"
    timezone: str = "Asia/Shanghai"
    conversion: Conversion = Field(default_factory=Conversion)
    rfm: Rfm = Field(default_factory=Rfm)
    clv: Clv = Field(default_factory=Clv)
    diagnosis: Diagnosis = Field(default_factory=Diagnosis)
    products: Products = Field(default_factory=Products)
    experiments: Experiments = Field(default_factory=Experiments)
    sections: list[str] | None = Field(
        None, description="notebook stems to run; default: all, in order. A notebook of notebooks/ that "
        "notebooks/sections.yaml does not list is an analyst's own section for these runs, placed after the "
        "section listed before it")
    strict: bool = Field(
        False, description="fail the run when an analyst's own section fails; by default the report is "
        "published with a note in its place")
    engine: Literal["local", "spark"] = Field(
        "local", description="what prepares the dataset: local (polars, on this machine) or spark (the PySpark "
        "DataFrame API on the master of spark:, for data beyond one machine); the report is the same")
    spark: Spark = Field(default_factory=Spark)

    # set by the loader, not by the user
    source_file: str | None = Field(None, exclude=True)
    run_name: str | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, v):
        try:
            parse_period(v)
        except PeriodError as e:
            raise ValueError(str(e)) from None
        return v

    @field_validator("comparison")
    @classmethod
    def _comparison(cls, v):
        try:
            comparison_for(parse_period("2025-01"), v)
        except PeriodError as e:
            raise ValueError(str(e)) from None
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(v, sorted(zoneinfo.available_timezones()), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{v!r} is not a time zone{hint}; use an IANA name such as Asia/Shanghai or "
                             "America/New_York") from None
        return v

    @field_validator("events")
    @classmethod
    def _events(cls, v: dict[str, str]) -> dict[str, str]:
        for theirs, ours in v.items():
            if ours not in EVENT_STEPS:
                raise ValueError(f"event {theirs!r} maps to {ours!r}, which is not one of {', '.join(EVENT_STEPS)}")
        return v

    @model_validator(mode="after")
    def _remote_on_spark(self) -> RunParams:
        for table, source in self.data.sources().items():
            if self.engine != "spark" and source.path is not None and is_remote(source.path):
                raise ValueError(f"data.{table}.path {source.path!r} is a URI that only Spark reads: set engine: spark "
                                 "(and spark.master), or copy the files to this machine")
        return self

    @property
    def current(self) -> Period:
        return parse_period(self.period)

    @property
    def previous(self) -> Period | None:
        return comparison_for(self.current, self.comparison)

    @property
    def rfm_scheme(self) -> str:
        return self.rfm.scheme or ("cn8" if self.lang == "zh" else "rfm-grid")

    @property
    def base_dir(self) -> Path:
        return Path(self.source_file).resolve().parent if self.source_file else Path.cwd()

    def resolve(self, path: str) -> Path:
        path = path.removeprefix("file://")
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


# ---------------------------------------------------------------- reading files

_UNSAFE = re.compile(r"[\s/\\:*?\"<>|,;=]+")


def safe_name(text: str) -> str:
    """A readable, filesystem-safe name: CJK kept, separators and reserved characters
    replaced by ``-``."""
    return _UNSAFE.sub("-", str(text)).strip("-.") or "run"


def run_name_for(params: RunParams, stem: str) -> str:
    parts = [params.name or stem, params.current.label]
    for _key, value in sorted(params.slice.items()):
        parts.append("+".join(map(str, value)) if isinstance(value, list) else str(value))
    return safe_name("_".join(parts))


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so a column called No or an event called on stays a string."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
yaml.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                           list("tTfF"), Loader=_Loader)


def _line_of(node: yaml.Node | None, path: tuple) -> int | None:
    """Line (1-based) of the key at ``path`` in the composed YAML tree."""
    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _valid_keys(model: type[BaseModel], path: tuple) -> list[str]:
    for part in path[:-1]:
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields)


def _explain(err: ValidationError, file: str, root: yaml.Node | None, raw: dict) -> str:
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        key = ".".join(map(str, loc)) or "(top level)"
        line = _line_of(root, loc)
        where = f"{file}:{line}" if line else file
        if e["type"] == "extra_forbidden":
            valid = [k for k in _valid_keys(RunParams, loc) if k not in ("source_file", "run_name")]
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            lines.append(f"{where}: unknown key {key!r}.{hint} Valid keys here: {', '.join(valid)}.")
        elif e["type"] == "missing":
            lines.append(f"{where}: the key {key!r} is required.")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: {key}: {msg}")
    return "\n".join(lines)


def _expand_matrix(raw: dict, file: str) -> list[tuple[dict, dict]]:
    matrix = raw.pop("matrix", None) or {}
    if not isinstance(matrix, dict):
        raise ParamsError(f"{file}: matrix must map keys to lists of values, e.g. matrix: {{region: [华东, 华南]}}")
    keys = list(matrix)
    for key, value in matrix.items():
        if value is None or value == [] or isinstance(value, dict):
            raise ParamsError(f"{file}: matrix.{key} must list at least one value, e.g. matrix: {{{key}: [a, b]}}"
                              f" (found {value!r}); remove the key to run without it.")
    lists = [v if isinstance(v, list) else [v] for v in matrix.values()]
    runs = []
    for combo in itertools.product(*lists) if keys else [()]:
        run = {**raw, "slice": dict(raw.get("slice") or {})}
        chosen = dict(zip(keys, combo, strict=True))
        for key, value in chosen.items():
            if key in ("period", "comparison", "lang", "title", "currency"):
                run[key] = value
            else:  # any other key is a slice column
                run["slice"][key] = value
        runs.append((run, chosen))
    return runs


def _read_text(path: Path) -> str:
    """The params file's text: UTF-8 (with or without BOM), or another encoding it can be
    detected in (GB18030 as a Chinese Windows editor saves, UTF-16), else one message."""
    from kit.data.read import detect_encoding

    data = path.read_bytes()
    encoding = detect_encoding(data, whole=True) if data else "utf-8"
    if encoding in ("utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        return data.decode(encoding).lstrip("\ufeff")
    raise ParamsError(f"{path}: the params file is not UTF-8 text (it looks like {encoding or 'binary data'}); "
                      "save it as UTF-8.")


def load_params(path: str | Path) -> list[RunParams]:
    """Read a params file and return one :class:`RunParams` per run (matrix expanded)."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise ParamsError(f"{file}: params file not found. Copy params/demo.yaml as a start.")
    text = _read_text(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else file
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ParamsError(f"{where}: not valid YAML ({problem}). Check the indentation and quoting there.") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{file}: expected a mapping of keys (title, period, data, ...), found {type(raw).__name__}.")
    runs = []
    for run, _ in _expand_matrix(dict(raw), file):
        try:
            params = RunParams.model_validate({**run, "source_file": str(path.resolve())})
        except ValidationError as e:
            raise ParamsError(_explain(e, file, root, run)) from None
        params.run_name = run_name_for(params, path.stem)
        runs.append(params)
    names = [r.run_name for r in runs]
    if len(set(names)) != len(names):
        raise ParamsError(f"{file}: the matrix gives two runs the same name; make its values distinct.")
    return runs


READABLE_ROWS = ("s3a://", "s3://", "gs://", "abfss://", "az://")
"""The URI schemes of ``spark.rows_at`` that both Spark (through its Hadoop file systems) and
polars on the report machine read."""


def is_remote(path: str) -> bool:
    """A path with a URI scheme other than file:// (hdfs://, s3a://, gs://, abfss:// ...): only
    ``engine: spark`` reads it, through the cluster's file systems."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", path)) and not path.startswith("file://")


def check_sources_exist(params: RunParams) -> None:
    """Fail with the table and path when a data source does not exist."""
    for table, source in params.data.sources().items():
        if source.path is None or is_remote(source.path):
            continue  # a database: connecting is the check (kit.data.database); a URI: Spark's reading
        target = params.resolve(source.path)
        if any(ch in source.path for ch in "*?["):
            if not list(target.parent.glob(target.name)):
                raise ParamsError(f"{params.source_file}: data.{table}.path {source.path!r} matches no file "
                                  f"(looked in {target.parent}).")
        elif not target.exists():
            hint = " Run `kit demo` to build the demo shop." if "demo" in source.path else ""
            raise ParamsError(f"{params.source_file}: data.{table}.path {source.path!r} does not exist "
                              f"(resolved to {target}).{hint}")


def params_to_yaml(params: RunParams) -> str:
    """The params as actually run, for the record beside the report."""
    data: dict[str, Any] = params.model_dump(mode="json", exclude_none=True)
    for table, source in params.data.sources().items():
        if source.path is not None:
            data["data"][table]["path"] = str(params.resolve(source.path))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
