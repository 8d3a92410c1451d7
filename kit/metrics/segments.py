"""Customer segments from RFM (section 3.1) and their profiles, sizes, migration and the
revenue concentration (section 3.2).

Every customer of :func:`kit.metrics.rfm.rfm_table` lands in exactly one segment under
each scheme (``params.rfm_scheme``):

- ``cn8``: R, F, M each *high* or *low* against its mean (or median, ``rfm.split``).
  High R means recent: ``recency < threshold``; high F / M: ``value > threshold``
  (strictly, so with a median of 1 order the single-order customers are low F). The
  eight combinations are the classic groups (R F M -> segment)::

      high high high  重要价值 important_value      high high low  一般价值 general_value
      high low  high  重要发展 important_develop    high low  low  一般发展 general_develop
      low  high high  重要保持 important_retain     low  high low  一般保持 general_retain
      low  low  high  重要挽留 important_winback    low  low  low  一般挽留 general_winback

- ``rfm-grid``: 1-5 scores (:func:`kit.metrics.rfm.add_scores`) mapped by the standard
  R x F grid (:data:`GRID`); M is shown per segment, not used to assign it.
- ``kmeans``: k-means on standardised ``log1p`` R, F, M; k between ``k_min`` and
  ``k_max`` (at most 8) with the best silhouette; each cluster named from its centroid
  (:func:`name_clusters`).

Segment values are stable codes (``important_value``, ``champions`` ...); their names in
zh/en are the ``rfm.segment.<code>`` keys of :mod:`kit.i18n`, the suggested actions the
``rfm.action.<code>`` keys.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kit.contract import paid, paid_lines
from kit.metrics.common import add_change
from kit.metrics.rfm import add_scores, rfm_table
from kit.periods import Period

SCHEMES = ("cn8", "rfm-grid", "kmeans")
NEW = "new"
"""The migration matrix's row of customers who had no paid order by the comparison end."""

CN8: dict[tuple[bool, bool, bool], str] = {
    # (R high = recent, F high, M high) -> segment
    (True, True, True): "important_value",
    (True, False, True): "important_develop",
    (False, True, True): "important_retain",
    (False, False, True): "important_winback",
    (True, True, False): "general_value",
    (True, False, False): "general_develop",
    (False, True, False): "general_retain",
    (False, False, False): "general_winback",
}

GRID: dict[tuple[int, int], str] = {
    # (r_score, f_score) -> segment: the standard R x F grid
    **{(r, f): "hibernating" for r in (1, 2) for f in (1, 2)},
    **{(r, f): "at_risk" for r in (1, 2) for f in (3, 4)},
    **{(r, 5): "cant_lose" for r in (1, 2)},
    **{(3, f): "about_to_sleep" for f in (1, 2)},
    (3, 3): "need_attention",
    **{(r, f): "loyal" for r in (3, 4) for f in (4, 5)},
    (4, 1): "promising",
    (5, 1): "new_customers",
    **{(r, f): "potential_loyalists" for r in (4, 5) for f in (2, 3)},
    **{(5, f): "champions" for f in (4, 5)},
}

KMEANS_PROFILES: dict[tuple[bool, bool, bool], str] = {
    # centroid (recent, frequent, high value) -> cluster name
    (True, True, True): "km_loyal_high_value",
    (True, True, False): "km_frequent_low_value",
    (True, False, True): "km_high_value_infrequent",
    (True, False, False): "km_potential",
    (False, True, True): "km_valuable_at_risk",
    (False, True, False): "km_fading_regulars",
    (False, False, True): "km_lapsed_big_spenders",
    (False, False, False): "km_churned",
}

SEGMENTS: dict[str, tuple[str, ...]] = {
    "cn8": tuple(CN8.values()),
    "rfm-grid": ("champions", "loyal", "potential_loyalists", "new_customers", "promising", "need_attention",
                 "about_to_sleep", "at_risk", "cant_lose", "hibernating"),
    "kmeans": tuple(KMEANS_PROFILES.values()),
}
"""Every scheme's segments in display order (best first)."""

HIGH_VALUE = frozenset({"important_value", "champions", "km_loyal_high_value"})
"""The high-value segment of each scheme (the diagnosis watches it shrink)."""
CHURNED = frozenset({"general_winback", "hibernating", "km_churned"})
"""The churned segment of each scheme (the diagnosis watches it grow)."""

KMEANS_SAMPLE = 20_000
SILHOUETTE_SAMPLE = 5_000  # silhouette costs n^2: 20k rows take ~2 s per k, 5k rows ~0.15 s
KMEANS_N_INIT = 2  # fixed; each init costs ~0.1-0.2 s on 20k rows


# ------------------------------------------------------------------ schemes

def cn8_flags(rfm: pl.LazyFrame | pl.DataFrame, split: str = "mean") -> pl.LazyFrame | pl.DataFrame:
    """Add ``r_high`` (recency < threshold), ``f_high`` and ``m_high`` (value > threshold);
    the threshold is each column's mean (``split="mean"``) or median over all customers."""
    def threshold(c: str) -> pl.Expr:
        return pl.col(c).mean() if split == "mean" else pl.col(c).median()

    return rfm.with_columns(
        (pl.col("recency") < threshold("recency")).alias("r_high"),
        (pl.col("frequency") > threshold("frequency")).alias("f_high"),
        (pl.col("monetary") > threshold("monetary")).alias("m_high"),
    )


def cn8_segment() -> pl.Expr:
    """The cn8 segment from ``r_high, f_high, m_high`` (:data:`CN8`)."""
    code = pl.col("r_high").cast(pl.Int8) * 4 + pl.col("f_high").cast(pl.Int8) * 2 + pl.col("m_high").cast(pl.Int8)
    mapping = {int(r) * 4 + int(f) * 2 + int(m): name for (r, f, m), name in CN8.items()}
    return code.replace_strict(mapping, return_dtype=pl.String)


def grid_segment() -> pl.Expr:
    """The rfm-grid segment from ``r_score, f_score`` (:data:`GRID`)."""
    code = pl.col("r_score").cast(pl.Int16) * 10 + pl.col("f_score").cast(pl.Int16)
    return code.replace_strict({r * 10 + f: name for (r, f), name in GRID.items()}, return_dtype=pl.String)


def kmeans_features(rfm: pl.DataFrame) -> np.ndarray:
    """``log1p`` of R, F, M, each standardised to mean 0 and standard deviation 1 (a constant
    column stays 0), as an (n, 3) array."""
    x = np.log1p(rfm.select("recency", "frequency", "monetary").to_numpy().astype(np.float64))
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)


def name_clusters(centroids: np.ndarray) -> list[str]:
    """A distinct name per centroid (standardised R, F, M): each name of
    :data:`KMEANS_PROFILES` stands for a corner (+-1, +-1, +-1) of (-R, F, M), and the
    centroids get the corners with the least total squared distance, no corner twice
    (an assignment problem), so names are unique and each as close as possible."""
    from scipy.optimize import linear_sum_assignment

    corners = list(KMEANS_PROFILES)
    points = np.array([[1.0 if c else -1.0 for c in corner] for corner in corners])
    profile = centroids * np.array([-1.0, 1.0, 1.0])  # low recency = recent
    cost = ((profile[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    names = [""] * len(centroids)
    for r, c in zip(rows, cols, strict=True):
        names[r] = KMEANS_PROFILES[corners[c]]
    return names


def choose_k(x: np.ndarray, k_min: int, k_max: int, seed: int) -> tuple[int, np.ndarray, dict[int, float]]:
    """The k in ``[k_min, min(k_max, 8)]`` with the best silhouette (ties: the smaller k). Each k
    is fitted on a seeded sample of at most 20,000 customers and its silhouette computed on a
    seeded sub-sample of at most 5,000 of them. Returns k, the centroids fitted on the
    sample for that k, and the silhouette per k tried."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    sample = x if len(x) <= KMEANS_SAMPLE else x[rng.choice(len(x), KMEANS_SAMPLE, replace=False)]
    distinct = len(np.unique(sample, axis=0))
    k_max = min(k_max, len(KMEANS_PROFILES))
    candidates = [k for k in range(k_min, k_max + 1) if k < distinct]
    if not candidates:  # too few distinct customers to compare k: one cluster per distinct point
        k = max(1, min(distinct, k_max))
        model = KMeans(k, n_init=KMEANS_N_INIT, random_state=seed).fit(sample)
        return k, model.cluster_centers_, {}
    scores, centres = {}, {}
    for k in candidates:
        model = KMeans(k, n_init=KMEANS_N_INIT, random_state=seed).fit(sample)
        size = SILHOUETTE_SAMPLE if len(sample) > SILHOUETTE_SAMPLE else None
        try:
            scores[k] = float(silhouette_score(sample, model.labels_, sample_size=size, random_state=seed))
        except ValueError:  # the sub-sample met a single cluster: no silhouette for this k
            scores[k] = -1.0
        centres[k] = model.cluster_centers_
    best = max(candidates, key=lambda k: (scores[k], -k))
    return best, centres[best], scores


def nearest_centroid(x: np.ndarray, centres: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    """Index of the nearest centre (squared Euclidean distance) for each row, in chunks to
    bound memory."""
    out = np.empty(len(x), dtype=np.int32)
    for start in range(0, len(x), chunk):
        part = x[start:start + chunk]
        out[start:start + chunk] = ((part[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return out


def kmeans_segments(rfm: pl.DataFrame, k_min: int = 3, k_max: int = 8, seed: int = 7) -> pl.DataFrame:
    """``rfm`` with ``cluster`` and ``segment``: k and the centroids fitted on a seeded sample
    (:func:`choose_k`), every customer assigned to the nearest centroid (refitting on a
    million customers would cost seconds and barely move centroids fitted on 20,000),
    clusters named by :func:`name_clusters`. Same seed and data, same labels."""
    if rfm.height == 0:
        return rfm.with_columns(pl.lit(None, pl.Int32).alias("cluster"), pl.lit(None, pl.String).alias("segment"))
    x = kmeans_features(rfm)
    _, centres, _ = choose_k(x, k_min, k_max, seed)
    names = name_clusters(centres)
    labels = pl.Series("cluster", nearest_centroid(x, centres))
    return rfm.with_columns(labels).with_columns(
        pl.col("cluster").replace_strict(dict(enumerate(names)), return_dtype=pl.String).alias("segment")
    )


def segment_customers(orders: pl.LazyFrame, period: Period, scheme: str = "cn8", split: str = "mean",
                      k_min: int = 3, k_max: int = 8, seed: int = 7) -> pl.DataFrame:
    """Every customer with a paid order by ``period.end``, its RFM (:func:`kit.metrics.rfm.rfm_table`),
    the scheme's scores or flags (``r_score, f_score, m_score`` for rfm-grid; ``r_high, f_high,
    m_high`` for cn8; ``cluster`` for kmeans) and ``segment``."""
    rfm = rfm_table(orders, period)
    if scheme == "cn8":
        return cn8_flags(rfm, split).with_columns(cn8_segment().alias("segment")).collect()
    if scheme == "rfm-grid":
        return add_scores(rfm).with_columns(grid_segment().alias("segment")).collect()
    if scheme == "kmeans":
        return kmeans_segments(rfm.collect(), k_min, k_max, seed)
    raise ValueError(f"unknown RFM scheme {scheme!r}; use one of {', '.join(SCHEMES)}")


def scheme_options(params) -> dict:
    """The keyword arguments of :func:`segment_customers` from a :class:`kit.params.RunParams`."""
    return {"scheme": params.rfm_scheme, "split": params.rfm.split, "k_min": params.rfm.kmeans_k_min,
            "k_max": params.rfm.kmeans_k_max, "seed": params.rfm.seed}


def segments_table(segmented: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``segments.csv``: ``customer_id, recency, frequency, monetary, monetary_mean``,
    the scheme's ``r_score, f_score, m_score`` (or ``r_high ...`` / ``cluster``) and ``segment``."""
    extra = [c for c in ("r_score", "f_score", "m_score", "r_high", "f_high", "m_high", "cluster")
             if c in segmented.columns]
    return segmented.select("customer_id", "recency", "frequency", "monetary", "monetary_mean", *extra, "segment")


def segment_order(scheme: str, present: list[str] | None = None) -> list[str]:
    """The scheme's segments in display order, only those ``present`` when given."""
    order = list(SEGMENTS[scheme])
    return order if present is None else [s for s in order if s in set(present)]


# ------------------------------------------------------------------ profiles (3.2)

def segment_profiles(segmented: pl.DataFrame) -> pl.DataFrame:
    """Per segment: ``customers``, ``share`` (of customers), ``revenue`` (sum of M) and
    ``revenue_share`` (of all M), ``period_revenue`` and ``period_revenue_share`` (paid amount in
    the period), ``mean_recency, mean_frequency, mean_monetary`` (means over the segment's
    customers) and ``aov`` = sum M / sum F (mean paid order value); largest segment first."""
    return (
        segmented.lazy()
        .group_by("segment")
        .agg(
            pl.len().alias("customers"),
            pl.col("monetary").sum().alias("revenue"),
            pl.col("period_monetary").sum().alias("period_revenue"),
            pl.col("recency").mean().alias("mean_recency"),
            pl.col("frequency").mean().alias("mean_frequency"),
            pl.col("monetary").mean().alias("mean_monetary"),
            (pl.col("monetary").sum() / pl.col("frequency").sum()).alias("aov"),
        )
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum()).alias("share"),
            _share("revenue").alias("revenue_share"),
            _share("period_revenue").alias("period_revenue_share"),
        )
        .select("segment", "customers", "share", "revenue", "revenue_share", "period_revenue",
                "period_revenue_share", "mean_recency", "mean_frequency", "mean_monetary", "aov")
        .sort(["customers", "segment"], descending=[True, False])
        .collect()
    )


def _share(column: str, over: list[str] | None = None) -> pl.Expr:
    total = pl.col(column).sum().over(over) if over else pl.col(column).sum()
    return pl.when(total > 0).then(pl.col(column) / total).otherwise(None)


def segment_top_categories(orders: pl.LazyFrame, items: pl.LazyFrame, segmented: pl.DataFrame,
                           period: Period, n: int = 3) -> pl.DataFrame:
    """The ``n`` categories with the most revenue per segment, over the same history as M
    (paid orders up to the period end): ``segment, rank, category, revenue, share``, where
    revenue = sum of ``unit_price x quantity`` (quantity 1 when absent) and share = the
    category's revenue / the segment's item revenue."""
    quantity = pl.col("quantity") if "quantity" in items.collect_schema().names() else pl.lit(1)
    lines = (
        paid_lines(items, orders).filter(pl.col("order_time") < pl.lit(period.end_dt))
        .select("customer_id", "category", (pl.col("unit_price") * quantity).alias("revenue"))
        .join(segmented.lazy().select("customer_id", "segment"), on="customer_id")
    )
    return (
        lines.group_by("segment", "category").agg(pl.col("revenue").sum())
        .with_columns(_share("revenue", ["segment"]).alias("share"))
        .with_columns(pl.col("revenue").rank("ordinal", descending=True).over("segment").alias("rank"))
        .filter(pl.col("rank") <= n)
        .select("segment", pl.col("rank").cast(pl.Int64), "category", "revenue", "share")
        .sort("segment", "rank")
        .collect()
    )


def customer_attribute(orders: pl.LazyFrame, customers: pl.LazyFrame | None, column: str,
                       period: Period) -> pl.LazyFrame:
    """``customer_id, <column>`` for every customer: from the customers table when it has the
    column, else from the customer's last paid order up to the period end (e.g. ``region``,
    ``channel``)."""
    if customers is not None and column in customers.collect_schema().names():
        return customers.select("customer_id", column)
    return (
        paid(orders).filter(pl.col("order_time") < pl.lit(period.end_dt))
        .group_by("customer_id")
        .agg(pl.col(column).sort_by("order_time").last())
    )


def segment_mix(segmented: pl.DataFrame, attribute: pl.LazyFrame, by: str) -> pl.DataFrame:
    """How each segment's customers split over ``by`` (e.g. region, channel): ``segment, <by>,
    customers, share`` with share = customers / the segment's customers (unknown = null)."""
    return (
        segmented.lazy().select("customer_id", "segment")
        .join(attribute, on="customer_id", how="left")
        .group_by("segment", by).agg(pl.len().alias("customers"))
        .with_columns(_share("customers", ["segment"]).alias("share"))
        .sort(["segment", "customers"], descending=[False, True])
        .collect()
    )


# ------------------------------------------------------------------ sizes and migration

def _sizes(segmented: pl.DataFrame, keys: list[str]) -> pl.LazyFrame:
    group = keys[:-1]
    return (
        segmented.lazy().group_by(keys).agg(pl.len().cast(pl.Float64).alias("customers"))
        .with_columns(_share("customers", group or None).alias("share"))
    )


def _compare_sizes(now: pl.DataFrame, before: pl.DataFrame | None, keys: list[str]) -> pl.DataFrame:
    current = _sizes(now, keys)
    if before is None:
        both = current.with_columns(pl.lit(None, pl.Float64).alias("customers_prev"),
                                    pl.lit(None, pl.Float64).alias("share_prev"))
    else:
        prev = _sizes(before, keys).rename({"customers": "customers_prev", "share": "share_prev"})
        both = current.join(prev, on=keys, how="full", coalesce=True).with_columns(
            pl.col("customers", "customers_prev", "share", "share_prev").fill_null(0.0))
    cols = [c for v in ("customers", "share") for c in (v, f"{v}_prev", f"{v}_change", f"{v}_change_rel")]
    return add_change(both, ["customers", "share"]).select(*keys, *cols).sort(keys).collect()


def segment_sizes(now: pl.DataFrame, before: pl.DataFrame | None) -> pl.DataFrame:
    """Customers per segment as of the period end and the comparison end, with the change:
    ``segment, customers, customers_prev, customers_change, customers_change_rel, share, share_prev,
    share_change, share_change_rel`` (share = segment customers / all segmented customers; a
    segment empty at one end counts 0 there)."""
    return _compare_sizes(now, before, ["segment"])


def segment_sizes_by(now: pl.DataFrame, before: pl.DataFrame | None, attribute: pl.LazyFrame,
                     by: str = "region") -> pl.DataFrame:
    """:func:`segment_sizes` within each value of ``by`` (``attribute``: ``customer_id, <by>``,
    see :func:`customer_attribute`): ``<by>, segment, customers ...``, shares within the ``by`` group."""
    def tag(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.lazy().select("customer_id", "segment").join(attribute, on="customer_id", how="left").collect()

    return _compare_sizes(tag(now), None if before is None else tag(before), [by, "segment"])


def segment_migration(now: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    """How many customers moved from each segment (as of the comparison end) to each segment (as
    of the period end): ``from_segment, to_segment, customers, share`` where share = customers /
    the ``from_segment``'s customers; customers with no paid order by the comparison end come
    from ``"new"``. Largest flows first."""
    return (
        now.lazy().select("customer_id", pl.col("segment").alias("to_segment"))
        .join(before.lazy().select("customer_id", pl.col("segment").alias("from_segment")), on="customer_id", how="left")
        .with_columns(pl.col("from_segment").fill_null(NEW))
        .group_by("from_segment", "to_segment").agg(pl.len().alias("customers"))
        .with_columns(_share("customers", ["from_segment"]).alias("share"))
        .sort(["customers", "from_segment", "to_segment"], descending=[True, False, False])
        .collect()
    )


def biggest_moves(migration: pl.DataFrame, n: int = 3, include_new: bool = False) -> pl.DataFrame:
    """The ``n`` largest flows between two different segments (customers who stayed are left out,
    and so are new customers unless ``include_new``)."""
    moves = migration.filter(pl.col("from_segment") != pl.col("to_segment"))
    if not include_new:
        moves = moves.filter(pl.col("from_segment") != NEW)
    return moves.sort(["customers", "from_segment", "to_segment"], descending=[True, False, False]).head(n)


# ------------------------------------------------------------------ concentration

def _active(segmented: pl.DataFrame, column: str) -> pl.LazyFrame:
    frame = segmented.lazy()
    if column == "period_monetary":  # only customers who bought in the period
        frame = frame.filter(pl.col("period_orders") > 0)
    return frame.select(pl.col(column).alias("value"))


def revenue_concentration(segmented: pl.DataFrame, top: float = 0.2, column: str = "period_monetary") -> pl.DataFrame:
    """Share of revenue from the top ``top`` of customers: one row ``customers, revenue,
    top_customers, top_revenue, top_share`` where ``top_customers = ceil(top x customers)``,
    the customers with the largest ``column``, and ``top_share = top_revenue / revenue``. By
    default over the customers who bought in the period and their paid amount in it (GMV)."""
    values = _active(segmented, column)
    return (
        values.select(
            pl.len().alias("customers"),
            pl.col("value").sum().alias("revenue"),
            pl.col("value").sort(descending=True).head(pl.len().cast(pl.Float64).mul(top).ceil().cast(pl.UInt32))
            .sum().alias("top_revenue"),
        )
        .with_columns(
            (pl.col("customers").cast(pl.Float64) * top).ceil().cast(pl.Int64).alias("top_customers"),
            pl.when(pl.col("revenue") > 0).then(pl.col("top_revenue") / pl.col("revenue")).alias("top_share"),
        )
        .select(pl.col("customers").cast(pl.Int64), "revenue", "top_customers", "top_revenue", "top_share")
        .collect()
    )


def lorenz_curve(segmented: pl.DataFrame, points: int = 100, column: str = "period_monetary") -> pl.DataFrame:
    """Points of the Lorenz curve: ``customer_share, revenue_share`` = (i / n, revenue of the i
    smallest customers / all revenue) at about ``points`` evenly spaced i, from (0, 0) to (1, 1);
    the curve sags below the diagonal the more revenue is concentrated."""
    curve = (
        _active(segmented, column).sort("value")
        .with_columns(pl.int_range(1, pl.len() + 1).alias("i"), pl.len().alias("n"),
                      (pl.col("value").cum_sum() / pl.col("value").sum()).alias("revenue_share"))
        .with_columns(((pl.col("i") * points + pl.col("n") - 1) // pl.col("n")).alias("bucket"))
        .group_by("bucket").agg(pl.col("i").last(), pl.col("n").last(), pl.col("revenue_share").last())
        .select((pl.col("i") / pl.col("n")).alias("customer_share"), "revenue_share")
    )
    origin = pl.LazyFrame({"customer_share": [0.0], "revenue_share": [0.0]})
    return pl.concat([origin, curve], how="vertical_relaxed").sort("customer_share").collect()



def rf_grid(segmented: pl.DataFrame) -> pl.DataFrame:
    """Customers and revenue (sum of M) in each of the 25 cells of R score x F score (scores as
    in :func:`kit.metrics.rfm.add_scores`, computed when the scheme has none; empty cells 0):
    ``r_score, f_score, customers, revenue``."""
    scored = segmented.lazy() if "r_score" in segmented.columns else add_scores(segmented.lazy())
    cells = pl.LazyFrame({"r_score": [r for r in range(1, 6) for _ in range(5)], "f_score": list(range(1, 6)) * 5},
                         schema={"r_score": pl.Int8, "f_score": pl.Int8})
    counts = scored.group_by("r_score", "f_score").agg(pl.len().alias("customers"), pl.col("monetary").sum().alias("revenue"))
    return (
        cells.join(counts, on=["r_score", "f_score"], how="left")
        .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64), pl.col("revenue").fill_null(0.0))
        .sort("r_score", "f_score")
        .collect()
    )
