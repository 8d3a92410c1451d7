"""The demo shop: a synthetic online shop, with known problems planted in it.

``generate(out_dir)`` writes the five tables of the data contract (customers, orders,
order_items, events, marketing_spend) as Parquet folders, plus ``manifest.json`` and
``stories.json``. The demo report, the notebook tests and the benchmark run on it.

How the shop is made (all vectorised numpy, one chunk of customers at a time):

- a customer is of one of four kinds: never buys, buys once, light repeat buyer,
  heavy repeat buyer (about 12%). A buyer's orders follow a Poisson process between
  the first order and the end of an exponential lifetime, so most customers buy once
  while the heavy ones make most of the orders (about 10 orders per customer in 2 years);
- every paid order of the clickstream months has a session that ends with ``pay`` a few
  seconds after the order's ``pay_time``; around each order the customer also browses
  (sessions that stop at view, product view, cart or checkout), at the rates of
  :data:`STEP_RATES`, and anonymous visitors who never log in browse too;
- with ``stories=True`` the problems listed in :data:`STORIES` are planted; with
  ``stories=False`` the shop is stationary: nothing changes over time.

The same seed and customer count give the same shop (chunks have fixed size and their
own random streams).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from kit.contract import AGE_BANDS, CITY_TIERS, EVENT_STEPS, TABLES

GENERATOR_VERSION = "1.2"  # 1.1: the experiments table; 1.2: the goods' stories (a bundle, a margin fall)
CHUNK_CUSTOMERS = 50_000
"""Customers per chunk; fixed, so that the output does not depend on the machine."""

ORDERS_START = date(2024, 1, 1)
EVENT_MONTHS = 6
"""The clickstream covers the last six months only: clickstreams are big."""

# ---------------------------------------------------------------- the planted stories

STORIES: list[dict] = [
    {
        "id": "app_pay_outage",
        "title_zh": "App 支付环节故障：结算到支付转化率骤降",
        "title_en": "App payment outage: checkout-to-pay conversion collapses",
        "section": "conversion",
        "where": {"device": "App", "step": "pay"},
        "start": "2025-11-03",
        "end": "2025-11-16",
        "expected": {"checkout_to_pay_before": 0.71, "checkout_to_pay_during": 0.38,
                     "paid_app_orders_change_rel": -0.46},
        "what": "On device App the checkout -> pay step converts ~38% instead of ~71%; the App orders "
                "that fail stay unpaid (status cancelled, no pay_time), so paid App orders fall ~46% "
                "in those 14 days. Other devices and days are normal.",
    },
    {
        "id": "northeast_churn",
        "title_zh": "东北地区客户流失：六成老客停止购买",
        "title_en": "Northeast customers churn: six in ten stop buying",
        "section": "rfm",
        "where": {"region": "东北"},
        "start": "2025-07-01",
        "end": None,
        "expected": {"customers_who_stop_share": 0.60, "full_effect_from": "2025-10-01",
                     "active_customers_q4_vs_q3_rel_vs_shop": -0.40},
        "what": "From 2025-07-01, 60% of the customers of region 东北 stop buying, each on a day drawn "
                "uniformly between 2025-07-01 and 2025-10-01 (first orders of new customers still come). "
                "东北's active customers fall far more than the shop's in 2025-Q4 vs 2025-Q3, its "
                "high-value segment shrinks and its churn grows.",
    },
    {
        "id": "apparel_returns",
        "title_zh": "服饰品类退货率高、评分低",
        "title_en": "Apparel: high return rate and low rating",
        "section": "profile",
        "where": {"category": "服饰"},
        "start": None,
        "end": None,
        "expected": {"return_rate": 0.30, "rating": 3.2, "others_return_rate": 0.05, "others_rating": 4.5},
        "what": "Lines of category 服饰 are returned ~30% of the time and rated ~3.2 on average, "
                "against ~5% and ~4.5 for the other categories, over the whole history.",
    },
    {
        "id": "baby_books_bundle",
        "title_zh": "母婴与图书常被一起购买：关联度约为随机的 3 倍",
        "title_en": "Baby goods and books are bought together about 3 times as often as chance",
        "section": "products",
        "where": {"antecedent": "母婴", "consequent": "图书"},
        "start": None,
        "end": None,
        "expected": {"lift": 3.0, "severity": "medium", "in_summary": False},
        "what": "An order with a 母婴 line and no 图书 line gets a 图书 line (a picture book) 28% of the time, "
                "over the whole history: the rule 母婴 -> 图书 has a lift of about 3. A cross-sell finding "
                "(an opportunity, medium) names the 母婴 buyers of the period who never bought 图书. Its money is "
                "an opportunity the generator does not plant, so the story has no amount.",
    },
    {
        "id": "appliance_margin_fall",
        "title_zh": "家电品类毛利率下滑：第四季度让利加深",
        "title_en": "Home appliances: margin falls in the last quarter on a deeper discount",
        "section": "products",
        "where": {"category": "家电"},
        "start": "2025-10-01",
        "end": "2025-12-31",
        "expected": {"price_factor": 0.85, "margin_rate_before": 0.38, "margin_rate": 0.27},
        "what": "In the report quarter every 家电 line is sold at 85% of its usual price (a deeper discount), "
                "costs unchanged: 家电, a category with a large GMV share, loses about 11 points of gross margin "
                "against the quarter before. The money: the quarter's 家电 GMV x (the margin rate the same lines "
                "would have had at their usual price - the rate they had) = 15% of their cost.",
    },
    {
        "id": "feed_ads_one_time",
        "title_zh": "信息流广告获客多为一次性客户",
        "title_en": "Feed-ad customers buy once and never come back",
        "section": "retention",
        "where": {"acquisition_channel": "信息流广告"},
        "start": "2025-01-01",
        "end": None,
        "expected": {"repurchase_90d": 0.02, "others_repurchase_90d": 0.25, "share_of_new_customers": 0.38},
        "what": "Customers who sign up from 2025-01-01 through acquisition channel 信息流广告 almost never "
                "buy again (90-day repurchase ~2% vs ~20-30% for other channels), while 信息流广告 brings "
                "~38% of the 2025 sign-ups (~12% before) and its spend is raised 2.5x.",
    },
    {
        "id": "email_subject_winner",
        "title_zh": "会员邮件标题测试：新标题（B）转化率相对提升 10%",
        "title_en": "Member email subject test: the new subject (B) lifts conversion by 10%",
        "section": "experiments",
        "where": {"experiment": "EXP-EMAIL-SUBJECT", "variant": "B"},
        "start": "2025-10-09",
        "end": "2025-10-22",
        "expected": {"relative_conversion_lift": 0.10, "window_days": 30, "split": {"A": 0.5, "B": 0.5},
                     "verdict": "win", "severity": "medium"},
        "what": "Customers with 2 paid orders or more in the 60 days before 2025-10-09 get a member email "
                "between 2025-10-09 and 10-22, half with subject A (the control, is_control), half with B. B's "
                "customers convert (a paid order within 30 days of opening it) 10% more often than A's: "
                "extra email orders are added for them. A finding says roll B out; its money is the "
                "conversions A's customers would have made more on B, at the order value of the test's orders.",
    },
    {
        "id": "banner_srm",
        "title_zh": "首页横幅测试分流异常：计划 50/50，实际 45/55",
        "title_en": "Homepage banner test: a 50/50 split that came out 45/55",
        "section": "experiments",
        "where": {"experiment": "EXP-HOME-BANNER"},
        "start": "2025-11-21",
        "end": None,
        "expected": {"planned_split": {"对照": 0.5, "新横幅": 0.5}, "actual_split": {"对照": 0.45, "新横幅": 0.55},
                     "effect": 0.0, "srm_p_below": 0.001, "severity": "high", "running": True},
        "what": "From 2025-11-21 to the end of the data, 30% of the visitors seen on the homepage (by "
                "visitor_id) enter a banner test planned 50/50, but 55% of them get the new banner: a sample "
                "ratio mismatch. The banner changes nothing. The readout must warn that the result cannot be "
                "trusted and the diagnosis raise a high data finding without money.",
    },
]
"""The truth of the planted stories; ``stories.json`` is written from it."""

OUTAGE_DEVICE = "App"
OUTAGE_START, OUTAGE_END = date(2025, 11, 3), date(2025, 11, 16)
OUTAGE_PAY_RATE = 0.38
NORMAL_PAY_RATE = 0.71
CHURN_REGION = "东北"
CHURN_START, CHURN_FULL = date(2025, 7, 1), date(2025, 10, 1)
CHURN_SHARE = 0.60  # share of 东北's customers who stop buying
FEED_CHANNEL = "信息流广告"
FEED_START = date(2025, 1, 1)
FEED_SHARE_STORY = 0.38
FEED_REPEAT_SHARE = 0.07
"""Share of the 2025 feed-ad customers who are still (light) repeat buyers."""
BUNDLE_FROM, BUNDLE_TO = "母婴", "图书"
BUNDLE_SHARE = 0.28
"""Share of the orders with a 母婴 line and no 图书 line that get a 图书 line (the bundle story)."""
MARGIN_CATEGORY = "家电"
MARGIN_PRICE_FACTOR = 0.85
"""家电's prices in the report quarter, relative to the usual (the margin story's deeper discount)."""
EMAIL_EXPERIMENT, BANNER_EXPERIMENT = "EXP-EMAIL-SUBJECT", "EXP-HOME-BANNER"
EMAIL_NAME = "会员邮件标题：限时优惠 vs 专属推荐"
BANNER_NAME = "首页横幅：新品推荐 vs 爆款推荐"
EMAIL_START, EMAIL_END = date(2025, 10, 9), date(2025, 10, 22)
EMAIL_RECENT_DAYS, EMAIL_MIN_ORDERS = 60, 2
"""The email goes to the frequent buyers: 2 paid orders or more in the 60 days before it starts."""
EMAIL_WINDOW_DAYS = 30
"""A conversion is a paid order within 30 days of opening the email: among the demo's 20,000
customers only a frequent buyers' test with a long window detects a 10% lift (expected z about 4
with CUPED; every customer with a 7-day window would give about 2)."""
EMAIL_LIFT = 0.10
"""B's conversion within the window, relative to A's (planted with the stories)."""
BANNER_START = date(2025, 11, 21)
BANNER_TRAFFIC = 0.30
"""Share of the homepage's visitors who enter the banner test."""
BANNER_TREATMENT_SHARE = 0.55
"""The broken split of the story (planned: 0.5)."""
BANNER_VARIANTS = ("对照", "新横幅")

# ---------------------------------------------------------------- the shop's make-up

# region -> province -> [(city, tier)]; tiers follow the common 2024 city-tier lists
GEOGRAPHY: dict[str, dict[str, list[tuple[str, str]]]] = {
    "华东": {
        "上海": [("上海", "一线")],
        "江苏": [("南京", "新一线"), ("苏州", "新一线"), ("无锡", "二线"), ("徐州", "二线"), ("盐城", "三线"),
                 ("宿迁", "四线及以下")],
        "浙江": [("杭州", "新一线"), ("宁波", "新一线"), ("温州", "二线"), ("金华", "二线"), ("丽水", "四线及以下")],
        "山东": [("济南", "新一线"), ("青岛", "新一线"), ("烟台", "二线"), ("潍坊", "二线"), ("菏泽", "三线"),
                 ("聊城", "四线及以下")],
        "安徽": [("合肥", "新一线"), ("芜湖", "三线"), ("阜阳", "三线"), ("六安", "四线及以下")],
        "福建": [("福州", "二线"), ("厦门", "二线"), ("泉州", "二线"), ("莆田", "三线")],
        "江西": [("南昌", "二线"), ("赣州", "三线"), ("上饶", "三线"), ("抚州", "四线及以下")],
    },
    "华南": {
        "广东": [("广州", "一线"), ("深圳", "一线"), ("东莞", "新一线"), ("佛山", "新一线"), ("惠州", "二线"),
                 ("中山", "二线"), ("汕头", "三线"), ("湛江", "三线"), ("梅州", "四线及以下")],
        "广西": [("南宁", "二线"), ("柳州", "三线"), ("桂林", "三线"), ("百色", "四线及以下")],
        "海南": [("海口", "三线"), ("三亚", "三线")],
    },
    "华北": {
        "北京": [("北京", "一线")],
        "天津": [("天津", "新一线")],
        "河北": [("石家庄", "二线"), ("保定", "二线"), ("唐山", "二线"), ("邯郸", "三线"), ("衡水", "四线及以下")],
        "山西": [("太原", "二线"), ("大同", "三线"), ("长治", "四线及以下")],
        "内蒙古": [("呼和浩特", "三线"), ("包头", "三线"), ("赤峰", "四线及以下")],
    },
    "华中": {
        "河南": [("郑州", "新一线"), ("洛阳", "二线"), ("南阳", "三线"), ("周口", "三线"), ("信阳", "四线及以下")],
        "湖北": [("武汉", "新一线"), ("宜昌", "三线"), ("襄阳", "三线"), ("荆州", "四线及以下")],
        "湖南": [("长沙", "新一线"), ("株洲", "三线"), ("衡阳", "三线"), ("邵阳", "四线及以下")],
    },
    "西南": {
        "四川": [("成都", "新一线"), ("绵阳", "三线"), ("南充", "三线"), ("宜宾", "三线"), ("达州", "四线及以下")],
        "重庆": [("重庆", "新一线")],
        "云南": [("昆明", "二线"), ("曲靖", "三线"), ("大理", "四线及以下")],
        "贵州": [("贵阳", "二线"), ("遵义", "三线"), ("毕节", "四线及以下")],
        "西藏": [("拉萨", "四线及以下")],
    },
    "西北": {
        "陕西": [("西安", "新一线"), ("宝鸡", "三线"), ("咸阳", "三线"), ("汉中", "四线及以下")],
        "甘肃": [("兰州", "二线"), ("天水", "四线及以下")],
        "宁夏": [("银川", "三线")],
        "青海": [("西宁", "三线")],
        "新疆": [("乌鲁木齐", "二线"), ("喀什", "四线及以下")],
    },
    "东北": {
        "辽宁": [("沈阳", "二线"), ("大连", "二线"), ("鞍山", "三线"), ("锦州", "三线"), ("丹东", "四线及以下")],
        "吉林": [("长春", "二线"), ("吉林", "三线"), ("四平", "四线及以下")],
        "黑龙江": [("哈尔滨", "二线"), ("大庆", "三线"), ("齐齐哈尔", "三线"), ("牡丹江", "四线及以下")],
    },
}
REGION_WEIGHTS = {"华东": 0.30, "华南": 0.20, "华北": 0.15, "华中": 0.12, "西南": 0.11, "西北": 0.05, "东北": 0.07}
# a listed lower-tier city stands for many real ones, hence its weight
TIER_WEIGHTS = {"一线": 6.0, "新一线": 3.5, "二线": 2.0, "三线": 1.8, "四线及以下": 2.2}

CHANNELS = ("搜索引擎", "短视频直播", "信息流广告", "社交媒体", "直接访问", "邮件短信")
ACQUISITION_WEIGHTS = (0.28, 0.18, 0.12, 0.17, 0.17, 0.08)
ORDER_CHANNEL_WEIGHTS = (0.27, 0.16, 0.10, 0.14, 0.25, 0.08)
# browsing that ends without an order comes more from feeds and less from direct visits,
# so that the sources convert differently
BROWSE_SOURCE_WEIGHTS = (0.25, 0.15, 0.22, 0.16, 0.15, 0.07)
PAID_CHANNEL_SPEND = {"短视频直播": 0.40, "信息流广告": 0.30, "社交媒体": 0.15, "邮件短信": 0.15}

DEVICES = ("App", "小程序", "移动网页", "PC")
DEVICE_WEIGHTS = (0.50, 0.25, 0.17, 0.08)  # mobile 92%, as in Chinese shops

MEMBER_LEVELS = ("普通会员", "白银会员", "黄金会员", "铂金会员")

# category, base unit price (yuan), share of lines, return rate and rating distribution (1..5)
CATEGORIES = ("服饰", "美妆", "食品", "家居", "数码", "母婴", "运动", "图书", "家电", "宠物")
CATEGORY_PRICE = (139.0, 119.0, 45.0, 89.0, 599.0, 129.0, 189.0, 42.0, 899.0, 75.0)
CATEGORY_WEIGHTS = (0.18, 0.12, 0.18, 0.10, 0.06, 0.07, 0.07, 0.08, 0.04, 0.10)
PRODUCTS_PER_CATEGORY = 200
NORMAL_RETURN_RATE = 0.05
APPAREL_RETURN_RATE = 0.30
NORMAL_RATING_P = (0.02, 0.03, 0.06, 0.22, 0.67)   # mean 4.49
APPAREL_RATING_P = (0.09, 0.14, 0.23, 0.30, 0.24)  # mean 3.46, ~3.2 once returns are rated lower
RATED_SHARE = 0.65

# the favourite category depends on the age band (rows: AGE_BANDS incl. unknown)
AGE_CATEGORY_TILT = {
    "<18":   (1.6, 1.2, 1.2, 0.4, 1.6, 0.1, 1.4, 1.6, 0.2, 0.6),
    "18-24": (1.5, 1.6, 1.1, 0.6, 1.4, 0.3, 1.3, 1.1, 0.5, 1.0),
    "25-34": (1.1, 1.2, 1.0, 1.0, 1.1, 1.6, 1.0, 0.9, 1.0, 1.2),
    "35-44": (0.9, 0.9, 1.0, 1.3, 0.9, 1.3, 0.9, 1.0, 1.3, 1.0),
    "45-54": (0.8, 0.6, 1.2, 1.4, 0.8, 0.6, 0.8, 1.0, 1.4, 0.8),
    "55+":   (0.7, 0.4, 1.5, 1.4, 0.6, 0.4, 0.7, 1.2, 1.3, 0.7),
    "unknown": (1.0,) * 10,
}
AGE_BAND_WEIGHTS = (0.03, 0.18, 0.35, 0.24, 0.11, 0.06, 0.03)
AGE_RANGES = ((13, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 72), (0, 0))

HEAVY_CATEGORY_TILT = (0.6, 1.4, 2.5, 0.8, 0.3, 1.8, 0.6, 0.6, 0.2, 2.2)

# hour-of-day shape of visits and orders: a noon and an evening peak
HOUR_WEIGHTS = np.array([
    1.2, 0.7, 0.4, 0.3, 0.3, 0.4, 0.8, 1.6, 2.6, 3.4, 3.9, 4.4,
    5.6, 5.0, 4.0, 3.8, 3.9, 4.1, 4.6, 5.4, 6.4, 6.8, 5.2, 2.6,
])

# customer kinds
NEVER, ONCE, LIGHT, HEAVY = 0, 1, 2, 3
KIND_WEIGHTS = (0.07, 0.50, 0.30, 0.13)
LIGHT_DAYS_BETWEEN, HEAVY_DAYS_BETWEEN = 120.0, 4.5
LIGHT_LIFETIME, HEAVY_LIFETIME = 365.0, 600.0

STATUS_P = (0.90, 0.06, 0.04)  # paid, cancelled, refunded

# funnel of the sessions (per step: share of sessions at the step that reach the next)
STEP_RATES = {"product_view": 0.55, "add_to_cart": 0.35, "checkout": 0.60, "pay": NORMAL_PAY_RATE}
ANONYMOUS_BROWSE_SHARE = 0.35
"""Share of the view-only and product-view sessions made by visitors who never log in."""
BROWSE_DAYS = 28
"""Browsing sessions fall in the 28 days after an order (the rate of browsing follows buying)."""
EVENTS_PER_PV = 0.2
"""Extra product views per session with product views (Poisson)."""


# ---------------------------------------------------------------- public entry point

@dataclass(frozen=True)
class Calendar:
    """The days the shop covers, as days since 1970-01-01."""

    orders_start: int
    events_start: int
    end: int  # inclusive

    @property
    def days(self) -> int:
        return self.end - self.orders_start + 1


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def make_calendar(end: date) -> Calendar:
    """Orders from 2024-01-01 to ``end``; events for the last six calendar months up to ``end``."""
    month = end.year * 12 + end.month - 1 - (EVENT_MONTHS - 1)
    events_start = date(month // 12, month % 12 + 1, 1)
    if end <= ORDERS_START:
        raise ValueError(f"end {end} must be after {ORDERS_START}")
    return Calendar(_day(ORDERS_START), _day(events_start), _day(end))


Progress = Callable[[str, int, int], None]


def generate(out_dir, customers: int = 20_000, seed: int = 20251231, stories: bool = True,
             end: date = date(2025, 12, 31), progress: Progress | None = None) -> dict:
    """Write the demo shop into ``out_dir`` and return its manifest.

    ``out_dir`` gets one folder per table (``part-00000.parquet`` ... one part per chunk of
    customers), ``manifest.json`` and ``stories.json``. Everything is written to a temporary
    folder beside ``out_dir`` and moved into place at the end, so a failure never leaves
    half a shop. An existing ``out_dir`` is replaced only when it is empty or a demo shop.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    out = Path(out_dir)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        manifest = _write_shop(tmp, customers, seed, stories, end, progress)
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _check_replaceable(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").exists())):
        raise FileExistsError(f"{out} exists and is not a demo shop; choose another --out")


def _replace(tmp: Path, out: Path) -> None:
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _write_shop(folder: Path, customers: int, seed: int, stories: bool, end: date,
                progress: Progress | None) -> dict:
    cal = make_calendar(end)
    products = _products(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,))))
    for name in ("customers", "orders", "order_items", "events", "experiments"):
        (folder / name).mkdir()
    rows = dict.fromkeys(("customers", "orders", "order_items", "events", "experiments"), 0)
    q_start, q_end = report_quarter(end)
    truth = MoneyTruth(_day(q_start), _day(q_end))
    n_chunks = -(-customers // CHUNK_CUSTOMERS)
    ids = IdCounters()
    for k in range(n_chunks):
        if progress:
            progress(f"customers {k * CHUNK_CUSTOMERS + 1:,}-{min(customers, (k + 1) * CHUNK_CUSTOMERS):,}", k, n_chunks)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, k)))
        # the experiments draw from their own stream: the rest of the shop is the same with or without them
        xrng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3, k)))
        first = k * CHUNK_CUSTOMERS
        n = min(CHUNK_CUSTOMERS, customers - first)
        tables = _chunk(rng, first, n, customers, cal, stories, products, ids, truth, xrng)
        for name, frame in tables.items():
            _write_part(frame, folder / name, k)
            rows[name] += frame.height
    spend = _marketing_spend(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,))),
                             customers, cal, stories)
    (folder / "marketing_spend").mkdir()
    _write_part(spend, folder / "marketing_spend", 0)
    rows["marketing_spend"] = spend.height
    if progress:
        progress("done", n_chunks, n_chunks)
    manifest = {
        "generator": "kit.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "customers": customers,
        "stories": stories,
        "orders_from": ORDERS_START.isoformat(),
        "events_from": _date(cal.events_start).isoformat(),
        "to": end.isoformat(),
        "rows": {name: rows[name] for name in TABLES},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    amounts = truth.amounts(spend)
    quarter = f"{q_start.year}-Q{(q_start.month - 1) // 3 + 1}"
    told = [{**story, "money_at_stake": {"period": quarter, "amount": amounts[story["id"]]}} for story in STORIES] \
        if stories else []
    (folder / "stories.json").write_text(json.dumps(told, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day))


def _write_part(frame: pl.DataFrame, folder: Path, k: int) -> None:
    # cast to the contract exactly: columns, order and dtypes
    schema = TABLES[folder.name].schema
    frame = frame.select([pl.col(c).cast(t) for c, t in schema.items()])
    frame.write_parquet(folder / f"part-{k:05d}.parquet", compression="zstd", compression_level=1,
                        statistics=True)


@dataclass
class IdCounters:
    """Running numbers for order and session ids across chunks."""

    orders: int = 0
    sessions: int = 0


# ---------------------------------------------------------------- the truth of the stories, in money

@dataclass
class MoneyTruth:
    """What each planted story costs in the report quarter (the last calendar quarter of the
    data, 2025-Q4 for the default shop), in the same definition as the diagnosis' money at
    stake (the quarter's GMV or spend that would have been different had the metric stayed at
    its reference), but from what the generator knows it did, not from the data:

    - ``app_pay_outage``: the amount of the App orders the outage left unpaid;
    - ``apparel_returns``: the value of the quarter's paid 服饰 lines x (the planted return rate -
      the normal one): the returns above the shop's norm;
    - ``feed_ads_one_time``: the quarter's 信息流广告 spend x (the 90-day repurchase probability
      of a customer of the normal mix - that of the story's one-time mix): the spend on
      customers who do not come back as the other channels' do;
    - ``northeast_churn``: the orders the 东北 customers who stopped buying would have placed in
      the quarter (the generator drew them, then dropped them), each at the mean amount of the
      same customer's orders that were placed;
    - ``email_subject_winner``: the conversions variant A's customers would have made more on
      the winner B (A's customers x the planted lift x their conversion p) x the value of one
      payment (the order value of the test customers' paid orders within their 30-day windows);
    - ``banner_srm``: 0, a data finding without money;
    - ``baby_books_bundle``: none (a cross-sell opportunity, not a loss the generator plants);
    - ``appliance_margin_fall``: the quarter's paid 家电 GMV x (the margin rate its lines would have
      had at their usual prices - the rate they had), the gross profit the deeper discount gave away
      at the margin's definition (the email test's few extra orders are left out of it).
    """

    quarter_start: int
    quarter_end: int  # inclusive, days since 1970-01-01
    lost_payments: float = 0.0
    excess_return_value: float = 0.0
    margin_cost: float = 0.0  # the quarter's paid 家电 lines: cost
    margin_value: float = 0.0  # ... their GMV
    margin_usual_value: float = 0.0  # ... their GMV at the usual prices
    northeast_lost_orders: int = 0
    northeast_lost_value: float = 0.0
    northeast_lost_by_customer: np.ndarray | None = None  # this chunk's, per customer
    email_units: np.ndarray = dataclass_field(default_factory=lambda: np.zeros(2, dtype=np.int64))  # A, B
    email_planted: int = 0
    email_expected_gain: float = 0.0  # the conversions the planting adds in expectation (B customers x lift x p)
    email_window_amount: float = 0.0  # paid orders of the email's customers within their windows
    email_window_orders: int = 0

    def in_quarter(self, seconds: np.ndarray) -> np.ndarray:
        return (seconds >= self.quarter_start * 86400) & (seconds < (self.quarter_end + 1) * 86400)

    def amounts(self, spend: pl.DataFrame) -> dict[str, float]:
        start, end = _date(self.quarter_start), _date(self.quarter_end)
        feed_spend = spend.filter((pl.col("channel") == FEED_CHANNEL) & pl.col("date").is_between(start, end))["spend"].sum()
        return {
            "app_pay_outage": round(self.lost_payments, 2),
            "apparel_returns": round(self.excess_return_value, 2),
            "feed_ads_one_time": round(feed_spend * (repurchase_probability(normal=True)
                                                     - repurchase_probability(normal=False)), 2),
            "northeast_churn": round(self.northeast_lost_value, 2),
            "email_subject_winner": round(self.email_money(), 2),
            "banner_srm": 0.0,
            "baby_books_bundle": None,
            "appliance_margin_fall": round(self.margin_money(), 2),
        }

    def margin_money(self) -> float:
        """The quarter's 家电 GMV x (margin rate at the usual prices - margin rate at the story's),
        = cost x (1 - GMV / GMV at the usual prices)."""
        if not self.margin_usual_value:
            return 0.0
        usual = 1 - self.margin_cost / self.margin_usual_value
        now = 1 - self.margin_cost / self.margin_value
        return self.margin_value * (usual - now)

    def email_money(self) -> float:
        """A's customers x the conversions the planting adds per B customer in expectation
        (lift x the customers' own conversion p) x the value of one payment (the order value of
        the test's customers' paid orders within their windows)."""
        n_a, n_b = self.email_units
        if not n_b or not self.email_window_orders:
            return 0.0
        return n_a * self.email_expected_gain / n_b * self.email_window_amount / self.email_window_orders


def repurchase_probability(normal: bool, days: int = 90, draws: int = 400_000) -> float:
    """The probability that a first-time buyer buys again within ``days``, from the generator's
    own distributions (not from data): a light or heavy buyer's repeat orders are a Poisson
    process of rate r x g (g ~ Gamma(3, 1/3)) over an exponential lifetime L, so
    P = E[1 - exp(-r g min(L, days))]; a one-time buyer never comes back. ``normal``: the kinds
    of :data:`KIND_WEIGHTS` among buyers; else the 2025 feed-ad mix of the story (one-time but
    :data:`FEED_REPEAT_SHARE` light buyers)."""
    rng = np.random.default_rng(7)
    p = {}
    for kind, rate, lifetime in ((LIGHT, 1 / LIGHT_DAYS_BETWEEN, LIGHT_LIFETIME),
                                 (HEAVY, 1 / HEAVY_DAYS_BETWEEN, HEAVY_LIFETIME)):
        g = rng.gamma(3.0, 1.0 / 3.0, draws)
        span = np.minimum(rng.exponential(lifetime, draws), days)
        p[kind] = float(np.mean(1.0 - np.exp(-rate * g * span)))
    if normal:
        buyers = np.asarray(KIND_WEIGHTS[1:]) / sum(KIND_WEIGHTS[1:])  # ONCE, LIGHT, HEAVY
        return float(buyers[1] * p[LIGHT] + buyers[2] * p[HEAVY])
    return FEED_REPEAT_SHARE * p[LIGHT]


def report_quarter(end: date) -> tuple[date, date]:
    """The last whole calendar quarter ending on or before ``end`` (the demo report's period)."""
    import calendar

    year, quarter = end.year, (end.month - 1) // 3
    last_month = 3 * quarter + 3
    last = date(year, last_month, calendar.monthrange(year, last_month)[1])
    if end < last:  # the quarter of ``end`` is not whole: the one before
        year, quarter = (year, quarter - 1) if quarter else (year - 1, 3)
        last_month = 3 * quarter + 3
        last = date(year, last_month, calendar.monthrange(year, last_month)[1])
    return date(year, last_month - 2, 1), last


# ---------------------------------------------------------------- products

@dataclass(frozen=True)
class Products:
    category: np.ndarray  # category index per product
    price: np.ndarray     # list price
    cost_ratio: np.ndarray
    popularity: np.ndarray  # cumulative weights within the category, shape (categories, per category)

    def pick(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        """A product of each given category, popular ones more often (Zipf-like)."""
        u = rng.random(category.size)
        within = np.searchsorted(self.popularity, u)
        return category * PRODUCTS_PER_CATEGORY + np.minimum(within, PRODUCTS_PER_CATEGORY - 1)


def _products(rng: np.random.Generator) -> Products:
    n_cat = len(CATEGORIES)
    category = np.repeat(np.arange(n_cat), PRODUCTS_PER_CATEGORY)
    price = np.asarray(CATEGORY_PRICE)[category] * rng.lognormal(0.0, 0.45, category.size)
    price = np.round(np.maximum(price, 5.0), 0) - 0.1  # ¥x9.9 price points
    cost_ratio = rng.uniform(0.45, 0.75, category.size)
    weights = 1.0 / np.arange(1, PRODUCTS_PER_CATEGORY + 1) ** 0.9
    popularity = np.cumsum(weights) / weights.sum()
    return Products(category, price, cost_ratio, popularity)


def product_ids(index: np.ndarray) -> pl.Series:
    return _prefixed("P", index, 5)


# ---------------------------------------------------------------- one chunk of customers

def _chunk(rng, first: int, n: int, total: int, cal: Calendar, stories: bool, products: Products,
           ids: IdCounters, truth: MoneyTruth, xrng=None) -> dict[str, pl.DataFrame]:
    cust = _customers(rng, first, n, total, cal, stories)
    orders = _orders(rng, cust, cal, stories, truth)
    items = _items(rng, orders, cust, products, stories, cal)
    orders = _price_orders(rng, orders, items, cust)
    sessions = _sessions(rng, orders, cust, cal, products, first, n)
    failed = _apply_outage(rng, orders, sessions, cal, stories)
    _tell_truth(truth, orders, items, failed, stories)
    events = _events(rng, sessions, orders, items, products, cal)
    order_frame, order_ids = _order_frame(orders, cust, ids)
    tables = {
        "customers": cust["frame"],
        "orders": order_frame,
        "order_items": _items_frame(items, order_ids, products),
        "events": _events_frame(events, sessions, cust, ids),
    }
    ids.orders += orders["n"]
    ids.sessions += sessions["n"]
    if xrng is not None:
        tables = _experiments(xrng, tables, orders, cust, cal, stories, products, ids, truth, first, n)
    return tables


def _choice(rng, weights, size) -> np.ndarray:
    """Indices drawn with the given weights (vectorised, no Python loop)."""
    cum = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cum / cum[-1], rng.random(size), side="right").clip(0, len(cum) - 1)


def _strings(values, index: np.ndarray) -> pl.Series:
    return pl.Series(list(values), dtype=pl.String).gather(pl.Series(index.astype(np.uint32)))


def _prefixed(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    s = pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(width)
    return (prefix + s) if prefix else s


def _customer_ids(numbers: np.ndarray, total: int) -> pl.Series:
    """C0000001 ...: customer number + 1, zero-padded."""
    return _prefixed("C", numbers + 1, max(7, len(str(total))))


def _customers(rng, first: int, n: int, total: int, cal: Calendar, stories: bool) -> dict:
    """Who the customers are, their kind (how they buy) and their first and last active day."""
    # where they live
    cities = [(r, p, c, t) for r, provinces in GEOGRAPHY.items() for p, cs in provinces.items() for c, t in cs]
    region_names = list(GEOGRAPHY)
    region = _choice(rng, [REGION_WEIGHTS[r] for r in region_names], n)
    city = np.empty(n, dtype=np.int64)
    for r_index, r in enumerate(region_names):  # loop over 7 regions, not rows
        members = [i for i, c in enumerate(cities) if c[0] == r]
        mask = region == r_index
        pick = _choice(rng, [TIER_WEIGHTS[cities[i][3]] for i in members], int(mask.sum()))
        city[mask] = np.asarray(members)[pick]
    # who they are
    age_band = _choice(rng, AGE_BAND_WEIGHTS, n)
    lo = np.asarray([a for a, _ in AGE_RANGES])[age_band]
    hi = np.asarray([b for _, b in AGE_RANGES])[age_band]
    age = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    end_year = _date(cal.end).year
    unknown_age = age_band == AGE_BANDS.index("unknown")
    birth_year = np.where(unknown_age, 0, end_year - age)
    gender = _choice(rng, (0.57, 0.40, 0.03), n)  # F, M, not given
    # when they came and how
    signup = np.where(
        rng.random(n) < 0.30,
        cal.orders_start - 730 + rng.integers(0, 730, n),  # customers from before the data starts
        cal.orders_start + rng.integers(0, cal.days, n),
    )
    feed_era = signup >= _day(FEED_START)
    acq = _choice(rng, ACQUISITION_WEIGHTS, n)
    feed = CHANNELS.index(FEED_CHANNEL)
    if stories:  # from 2025 the feed ads bring a much larger share of the new customers
        other_w = np.asarray(ACQUISITION_WEIGHTS, dtype=float)
        other_w[feed] = 0
        recast = rng.random(n) < FEED_SHARE_STORY
        acq2 = np.where(recast, feed, _choice(rng, other_w, n))
        acq = np.where(feed_era, acq2, acq)
    kind = _choice(rng, KIND_WEIGHTS, n)
    if stories:  # the 2025 feed-ad customers buy once
        one_time = feed_era & (acq == feed) & (kind != NEVER)
        kind = np.where(one_time, np.where(rng.random(n) < FEED_REPEAT_SHARE, LIGHT, ONCE), kind)
    # the first order in the data: a few days after sign-up, or sometime early in 2024 for
    # the customers who were there before
    delay = np.floor(rng.exponential(4.0, n)).astype(np.int64)
    first_day = np.where(signup >= cal.orders_start, signup + delay,
                         cal.orders_start + np.floor(rng.exponential(60.0, n)).astype(np.int64))
    buys = (kind != NEVER) & (first_day <= cal.end)
    lifetime = np.where(kind == HEAVY, rng.exponential(HEAVY_LIFETIME, n), rng.exponential(LIGHT_LIFETIME, n))
    last_day = np.minimum(first_day + lifetime, cal.end + 1.0)
    rate = np.where(kind == HEAVY, 1.0 / HEAVY_DAYS_BETWEEN, np.where(kind == LIGHT, 1.0 / LIGHT_DAYS_BETWEEN, 0.0))
    rate = rate * rng.gamma(3.0, 1.0 / 3.0, n)  # some buy more often than others
    device = _choice(rng, DEVICE_WEIGHTS, n)
    level_p = np.asarray([(0.70, 0.20, 0.08, 0.02), (0.70, 0.20, 0.08, 0.02),
                          (0.45, 0.32, 0.17, 0.06), (0.15, 0.35, 0.32, 0.18)])[kind]
    member = (rng.random(n)[:, None] > np.cumsum(level_p, axis=1)).sum(axis=1).clip(0, 3)
    tilt = np.asarray([AGE_CATEGORY_TILT[b] for b in AGE_BANDS])[age_band] * np.asarray(CATEGORY_WEIGHTS)
    # the heavy buyers are mostly restocking everyday goods (high frequency, low value)
    tilt = np.where((kind == HEAVY)[:, None], tilt * np.asarray(HEAVY_CATEGORY_TILT), tilt)
    fav = (rng.random(n)[:, None] > (np.cumsum(tilt, axis=1) / tilt.sum(axis=1, keepdims=True))).sum(axis=1)
    fav = fav.clip(0, len(CATEGORIES) - 1)

    numbers = np.arange(first, first + n)
    cities_arr = np.asarray(cities, dtype=object)
    frame = pl.DataFrame({
        "customer_id": _customer_ids(numbers, total),
        "signup_date": pl.Series(signup.astype(np.int32)).cast(pl.Date),
        "gender": pl.select(pl.when(pl.Series(gender < 2)).then(_strings(("F", "M", "F"), gender))).to_series(),
        "birth_year": pl.Series(birth_year).replace(0, None),
        "age": pl.Series([None] * n, dtype=pl.Int64),
        "region": _strings(region_names, region),
        "province": _strings(cities_arr[:, 1], city),
        "city": _strings(cities_arr[:, 2], city),
        "city_tier": _strings(cities_arr[:, 3], city),
        "acquisition_channel": _strings(CHANNELS, acq),
        "member_level": _strings(MEMBER_LEVELS, member),
    })
    tier = np.asarray([CITY_TIERS.index(t) for t in cities_arr[:, 3]])[city]
    return {"n": n, "numbers": numbers, "total": total, "frame": frame, "region": region, "tier": tier,
            "acq": acq, "kind": kind, "buys": buys, "first_day": first_day, "last_day": last_day,
            "rate": rate, "device": device, "fav": fav}


# ---------------------------------------------------------------- orders

def _orders(rng, cust: dict, cal: Calendar, stories: bool, truth: MoneyTruth | None = None) -> dict:
    """Order times and attributes (prices come with the items)."""
    n = cust["n"]
    span = np.where(cust["buys"], cust["last_day"] - cust["first_day"], 0.0)
    repeats = rng.poisson(np.maximum(cust["rate"] * span, 0.0))
    count = np.where(cust["buys"], 1 + repeats, 0)
    owner = np.repeat(np.arange(n), count)
    starts = np.cumsum(count) - count
    first = np.zeros(owner.size, dtype=bool)
    first[starts[count > 0]] = True
    day_f = cust["first_day"][owner] + np.where(first, 0.0, rng.random(owner.size) * span[owner])
    usual_day = np.floor(day_f).astype(np.int64)
    day = _festival_pull(rng, usual_day, ~first, cust["first_day"][owner], cal)
    keep = day <= cal.end
    if stories:  # six in ten of 东北's customers stop buying, each on a day between July and October 2025
        stops = (cust["region"] == list(GEOGRAPHY).index(CHURN_REGION)) & (rng.random(n) < CHURN_SHARE)
        stop_day = _day(CHURN_START) + rng.random(n) * (_day(CHURN_FULL) - _day(CHURN_START))
        stopped = stops[owner] & ~first & (day >= stop_day[owner])
        keep &= ~stopped
        if truth is not None:  # the orders the stopped customers would have placed in the quarter, per customer
            lost = stopped & (day >= truth.quarter_start) & (day <= truth.quarter_end)
            truth.northeast_lost_by_customer = np.bincount(owner[lost], minlength=n)
    owner, day, usual_day = owner[keep], day[keep], usual_day[keep]
    seconds = _time_of_day(rng, owner.size)
    t = day * 86400 + seconds
    order = np.lexsort((t, owner))
    owner, t = owner[order], t[order]
    # browsing keeps to the order's usual day: shoppers who wait for a festival do not stop
    # visiting, and browsing that followed the festival's peak would read as a funnel drop
    browse_t = (usual_day * 86400 + seconds)[order]
    m = owner.size
    channel = np.where(rng.random(m) < 0.5, cust["acq"][owner], _choice(rng, ORDER_CHANNEL_WEIGHTS, m))
    device = np.where(rng.random(m) < 0.8, cust["device"][owner], _choice(rng, DEVICE_WEIGHTS, m))
    status = _choice(rng, STATUS_P, m)
    pay_delay = np.round(np.minimum(rng.lognormal(3.4, 0.8, m), 1800)).astype(np.int64) + 5
    delivery = np.round(1.0 + 0.5 * cust["tier"][owner] + rng.gamma(2.0, 0.6, m))
    return {"n": m, "owner": owner, "time": t, "browse_time": browse_t, "channel": channel, "device": device, "status": status,
            "pay_delay": pay_delay, "delivery": delivery}


FESTIVALS = (((6, 1), (6, 18)), ((11, 1), (11, 11)))  # 618 and 双11, run-up included
FESTIVAL_PULL = 0.12
FESTIVAL_RUNUP_DAYS = 60
"""A festival draws this share of the repeat orders of the 60 days before it. A shallow, wide
dip, so the funnel's rates move only a few percent around the festivals."""


def _festival_pull(rng, day: np.ndarray, movable: np.ndarray, first_day: np.ndarray, cal: Calendar) -> np.ndarray:
    """Move some repeat orders placed in the run-up to 618 or 双11 into the festival, so
    both show as peaks (with a shallow dip before them), as shoppers wait for the deals."""
    day = day.copy()
    for year in range(_date(cal.orders_start).year, _date(cal.end).year + 1):
        for (m1, d1), (m2, d2) in FESTIVALS:
            start, end = _day(date(year, m1, d1)), _day(date(year, m2, d2))
            wait = movable & (day >= start - FESTIVAL_RUNUP_DAYS) & (day < start) & (rng.random(day.size) < FESTIVAL_PULL)
            moved = start + rng.integers(0, end - start + 1, day.size)
            day = np.where(wait, np.maximum(moved, np.ceil(first_day).astype(np.int64)), day)
    return day


def _time_of_day(rng, size: int) -> np.ndarray:
    """Seconds after midnight, hours drawn from :data:`HOUR_WEIGHTS`."""
    hour = _choice(rng, HOUR_WEIGHTS, size)
    return hour * 3600 + rng.integers(0, 3600, size)


def _items(rng, orders: dict, cust: dict, products: Products, stories: bool, cal: Calendar) -> dict:
    """Order lines: 1 to 5 per order, mostly of the customer's favourite category (and, with the
    stories, the goods' stories: :func:`_plant_goods`)."""
    m = orders["n"]
    lines = 1 + _choice(rng, (0.62, 0.24, 0.09, 0.04, 0.01), m)
    order = np.repeat(np.arange(m), lines)
    k = order.size
    category = np.where(rng.random(k) < 0.55, cust["fav"][orders["owner"]][order],
                        _choice(rng, CATEGORY_WEIGHTS, k))
    product = products.pick(rng, category)
    quantity = 1 + _choice(rng, (0.78, 0.14, 0.05, 0.03), k)
    unit_price = np.round(products.price[product] * np.where(rng.random(k) < 0.3, rng.uniform(0.8, 0.95, k), 1.0), 2)
    unit_cost = np.round(products.price[product] * products.cost_ratio[product], 2)
    apparel = category == CATEGORIES.index("服饰")
    bad = apparel & stories
    returned = rng.random(k) < np.where(bad, APPAREL_RETURN_RATE, NORMAL_RETURN_RATE)
    rating = np.where(bad, _choice(rng, APPAREL_RATING_P, k), _choice(rng, NORMAL_RATING_P, k)) + 1.0
    rating = np.where(returned, np.maximum(rating - 1.0, 1.0), rating)  # returned goods are rated lower
    rating = np.where(rng.random(k) < RATED_SHARE, rating, np.nan)
    items = {"n": k, "order": order, "category": category, "product": product, "quantity": quantity,
             "unit_price": unit_price, "usual_price": unit_price, "unit_cost": unit_cost, "returned": returned,
             "rating": rating}
    if stories:
        # from a stream of its own: the rest of the shop draws the same numbers with or without it
        items = _plant_goods(np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0]), orders, items, products,
                             cal)
    return items


def _plant_goods(rng, orders: dict, items: dict, products: Products, cal: Calendar) -> dict:
    """The goods' stories: a 图书 line added to :data:`BUNDLE_SHARE` of the orders with a 母婴 line
    and none of 图书 (after the order's own lines, so its first line stays the same); every 家电 line
    of the report quarter priced at :data:`MARGIN_PRICE_FACTOR` of its usual price."""
    cat = items["category"]
    m = orders["n"]
    has_from = np.bincount(items["order"], weights=cat == CATEGORIES.index(BUNDLE_FROM), minlength=m) > 0
    has_to = np.bincount(items["order"], weights=cat == CATEGORIES.index(BUNDLE_TO), minlength=m) > 0
    add = np.nonzero(has_from & ~has_to & (rng.random(m) < BUNDLE_SHARE))[0]
    extra_cat = np.full(add.size, CATEGORIES.index(BUNDLE_TO))
    product = products.pick(rng, extra_cat)
    price = np.round(products.price[product], 2)
    returned = rng.random(add.size) < NORMAL_RETURN_RATE
    rating = np.where(rng.random(add.size) < RATED_SHARE, _choice(rng, NORMAL_RATING_P, add.size) + 1.0, np.nan)
    extra = {"order": add, "category": extra_cat, "product": product, "quantity": np.ones(add.size, dtype=np.int64),
             "unit_price": price, "usual_price": price,
             "unit_cost": np.round(products.price[product] * products.cost_ratio[product], 2),
             "returned": returned, "rating": np.where(returned, np.maximum(rating - 1.0, 1.0), rating)}
    keys = [k for k in items if k != "n"]
    merged = {k: np.concatenate([items[k], extra[k]]) for k in keys}
    order = np.argsort(merged["order"], kind="stable")
    merged = {k: v[order] for k, v in merged.items()}
    q_start, q_end = report_quarter(_date(cal.end))
    t = orders["time"][merged["order"]]
    cut = (merged["category"] == CATEGORIES.index(MARGIN_CATEGORY)) & (t >= _day(q_start) * 86400) \
        & (t < (_day(q_end) + 1) * 86400)
    merged["unit_price"] = np.where(cut, np.round(merged["usual_price"] * MARGIN_PRICE_FACTOR, 2), merged["unit_price"])
    return {"n": merged["order"].size, **merged}


def _price_orders(rng, orders: dict, items: dict, cust: dict) -> dict:
    """amount = sum(quantity x unit_price) - discount + shipping_fee, consistent with the lines."""
    m = orders["n"]
    subtotal = np.bincount(items["order"], weights=items["quantity"] * items["unit_price"], minlength=m)
    discount = np.where(rng.random(m) < 0.35, np.round(subtotal * rng.uniform(0.05, 0.20, m), 0), 0.0)
    shipping = np.where(subtotal >= 99.0, 0.0, np.where(cust["tier"][orders["owner"]] >= 3, 10.0, 8.0))
    orders["subtotal"] = np.round(subtotal, 2)
    orders["discount"] = discount
    orders["shipping"] = shipping
    orders["amount"] = np.round(subtotal - discount + shipping, 2)
    first_line = np.cumsum(np.bincount(items["order"], minlength=m)) - np.bincount(items["order"], minlength=m)
    orders["first_line"] = first_line
    return orders


# ---------------------------------------------------------------- sessions and events

def _sessions(rng, orders: dict, cust: dict, cal: Calendar, products: Products, first: int, n: int) -> dict:
    """The visits of the clickstream months.

    One session per order placed in those months: it ends at ``pay`` when the order was
    paid, at ``checkout`` when it was cancelled. Around the orders placed from 28 days
    before, customers also browse without buying: per order, Poisson numbers of sessions
    ending at view, product view, cart or checkout, sized so that the funnel converts at
    :data:`STEP_RATES`. Part of the browsing is by anonymous visitors who never log in.
    """
    start_s = cal.events_start * 86400
    end_s = (cal.end + 1) * 86400
    in_window = np.flatnonzero(orders["time"] >= start_s)
    # the per-order browsing, derived from the step rates (per paid order: 1 / rate of each step)
    r = STEP_RATES
    paid_share = STATUS_P[0] + STATUS_P[2]
    checkouts = 1.0 / r["pay"] * paid_share          # sessions reaching checkout per order
    carts = checkouts / r["checkout"]
    pviews = carts / r["add_to_cart"]
    visits = pviews / r["product_view"]
    means = np.array([visits - pviews, pviews - carts, carts - checkouts, checkouts - 1.0])  # last step 0..3
    source_orders = np.flatnonzero(orders["browse_time"] >= start_s - BROWSE_DAYS * 86400)
    counts = rng.poisson(means[None, :], (source_orders.size, 4))
    per_order = counts.sum(axis=1)
    b_order = np.repeat(source_orders, per_order)
    b_last = np.repeat(np.tile(np.arange(4), source_orders.size), counts.ravel())
    b = b_order.size
    b_day = orders["browse_time"][b_order] // 86400 + rng.integers(0, BROWSE_DAYS, b)
    b_time = b_day * 86400 + _time_of_day(rng, b)
    inside = (b_time >= start_s) & (b_time < end_s)
    b_order, b_last, b_time = b_order[inside], b_last[inside], b_time[inside]
    b = b_order.size
    owner = orders["owner"][b_order]
    anonymous = (b_last <= 1) & (rng.random(b) < ANONYMOUS_BROWSE_SHARE)
    b_device = np.where(rng.random(b) < 0.7, cust["device"][owner], _choice(rng, DEVICE_WEIGHTS, b))
    b_source = _choice(rng, BROWSE_SOURCE_WEIGHTS, b)
    b_category = np.where(rng.random(b) < 0.6, cust["fav"][owner], _choice(rng, CATEGORY_WEIGHTS, b))

    # the order sessions
    o = in_window.size
    o_status = orders["status"][in_window]
    o_last = np.where(o_status == 1, 3, 4)
    s = {
        "n": o + b,
        "order": np.concatenate([in_window, np.full(b, -1)]),
        "owner": np.concatenate([orders["owner"][in_window], owner]),
        "anonymous": np.concatenate([np.zeros(o, dtype=bool), anonymous]),
        "last": np.concatenate([o_last, b_last]),
        "anchor": np.concatenate([orders["time"][in_window], b_time]),  # checkout time or session start
        "device": np.concatenate([orders["device"][in_window], b_device]),
        "source": np.concatenate([orders["channel"][in_window], b_source]),
    }
    s["product"] = np.concatenate([np.zeros(o, dtype=np.int64), products.pick(rng, b_category)])
    # anonymous visitors: a pool twice the size of the chunk, numbered after the customers
    s["anon_visitor"] = 2 * first + rng.integers(0, 2 * n, s["n"])
    return s


def _apply_outage(rng, orders: dict, sessions: dict, cal: Calendar, stories: bool) -> np.ndarray:
    """The App payment outage: in its window App checkouts fail to pay more often.

    A failed order stays unpaid (status cancelled) and its session ends at checkout. Returns the
    failed orders' indices.
    """
    if not stories:
        return np.zeros(0, dtype=np.int64)
    lo, hi = _day(OUTAGE_START) * 86400, (_day(OUTAGE_END) + 1) * 86400
    fail_p = 1.0 - OUTAGE_PAY_RATE / NORMAL_PAY_RATE
    is_order = sessions["order"] >= 0
    o = sessions["order"][is_order]
    hit = ((orders["device"][o] == DEVICES.index(OUTAGE_DEVICE)) & (orders["status"][o] != 1)
           & (orders["time"][o] >= lo) & (orders["time"][o] < hi) & (rng.random(o.size) < fail_p))
    orders["status"][o[hit]] = 1
    last = sessions["last"][is_order]
    last[hit] = 3
    sessions["last"][is_order] = last
    return o[hit]


def _tell_truth(truth: MoneyTruth, orders: dict, items: dict, failed: np.ndarray, stories: bool) -> None:
    """Add this chunk's part of the stories' money to ``truth`` (see :class:`MoneyTruth`)."""
    if not stories:
        return
    lost = truth.northeast_lost_by_customer
    if lost is not None and lost.sum():
        # each lost order at the mean amount of the same customer's orders that were placed
        amount = np.bincount(orders["owner"], weights=orders["amount"], minlength=lost.size)
        count = np.bincount(orders["owner"], minlength=lost.size)
        mean = np.divide(amount, count, out=np.zeros_like(amount), where=count > 0)
        truth.northeast_lost_orders += int(lost.sum())
        truth.northeast_lost_value += float((lost * mean).sum())
    truth.lost_payments += float(orders["amount"][failed][truth.in_quarter(orders["time"][failed])].sum())
    _apparel_truth(truth, orders, items)
    _margin_truth(truth, orders, items)


def _apparel_truth(truth: MoneyTruth, orders: dict, items: dict) -> None:
    """The quarter's paid 服饰 lines x (the planted return rate - the normal one)."""
    paid = (orders["status"] == 0) & truth.in_quarter(orders["time"])
    apparel = (items["category"] == CATEGORIES.index("服饰")) & paid[items["order"]]
    value = (items["quantity"] * items["unit_price"])[apparel].sum()
    truth.excess_return_value += float(value) * (APPAREL_RETURN_RATE - NORMAL_RETURN_RATE)


def _margin_truth(truth: MoneyTruth, orders: dict, items: dict) -> None:
    """The quarter's paid 家电 lines: their cost, GMV and GMV at the usual prices."""
    paid = (orders["status"] == 0) & truth.in_quarter(orders["time"])
    lines = (items["category"] == CATEGORIES.index(MARGIN_CATEGORY)) & paid[items["order"]]
    q = items["quantity"][lines]
    truth.margin_cost += float((q * items["unit_cost"][lines]).sum())
    truth.margin_value += float((q * items["unit_price"][lines]).sum())
    truth.margin_usual_value += float((q * items["usual_price"][lines]).sum())


def _events(rng, s: dict, orders: dict, items: dict, products: Products, cal: Calendar) -> dict:
    """One row per event, steps in time order within each session.

    A session is: view, 1+ product views (when it gets that far), add to cart, checkout,
    pay. An order session's checkout is at the order time and its pay at the pay time;
    a browsing session starts at its drawn time.
    """
    n = s["n"]
    last = s["last"]
    n_pv = np.where(last >= 1, 1 + rng.poisson(EVENTS_PER_PV, n), 0)
    length = 1 + n_pv + np.maximum(last - 1, 0)
    sess = np.repeat(np.arange(n), length)
    starts = np.cumsum(length) - length
    pos = np.arange(sess.size) - starts[sess]
    npv = n_pv[sess]
    step = np.where(pos == 0, 0, np.where(pos <= npv, 1, 1 + pos - npv))
    # time gaps before each event: reading a page, choosing, paying
    gap = np.where(step == 0, 0, np.where(step == 1, rng.exponential(45.0, sess.size) + 5,
                   np.where(step == 2, rng.exponential(60.0, sess.size) + 5,
                            rng.exponential(90.0, sess.size) + 10)))
    gap = np.round(gap).astype(np.int64)
    cum = np.cumsum(gap)
    offset = cum - cum[starts][sess]  # seconds since the session's first event
    is_order = s["order"] >= 0
    order = np.where(is_order, s["order"], 0)
    # for an order session, shift so that checkout falls on the order time
    before_checkout = np.bincount(sess, weights=np.where(step <= 3, gap, 0), minlength=n)
    session_start = np.where(is_order, s["anchor"] - before_checkout.astype(np.int64), s["anchor"])
    time = session_start[sess] + offset
    pay = step == 4
    time = np.where(pay, orders["time"][order[sess]] + orders["pay_delay"][order[sess]], time)
    # product of the product-view / cart events: the order's first line, or the browsed product
    o_product = items["product"][orders["first_line"][order]]
    o_price = items["unit_price"][orders["first_line"][order]] * items["quantity"][orders["first_line"][order]]
    main = np.where(is_order, o_product, s["product"])[sess]
    last_pv = (step == 1) & (pos == npv)
    other = products.pick(rng, products.category[main])
    product = np.where((step == 1) & ~last_pv, other, main)
    product = np.where((step == 1) | (step == 2), product, -1)
    browse_value = products.price[main]
    value = np.where(step == 2, np.where(is_order[sess], o_price[sess], browse_value),
                     np.where(step >= 3, np.where(is_order[sess], orders["amount"][order[sess]], browse_value), np.nan))
    # login: anonymous visitors never; customers either logged in from the start or at the cart
    login_at_start = rng.random(n) < np.where(s["device"] == DEVICES.index("App"), 0.75, 0.45)
    login_pos = np.where(s["anonymous"], 10**6, np.where(login_at_start, 0, 1 + n_pv))
    browsing_anon = (~is_order) & (last <= 1) & (rng.random(n) < 0.5)  # looked around without logging in
    login_pos = np.where(browsing_anon, 10**6, login_pos)
    logged = pos >= login_pos[sess]
    # an order session may start just before the clickstream months or end just after them
    inside = (time >= cal.events_start * 86400) & (time < (cal.end + 1) * 86400)
    return {"n": int(inside.sum()), "session": sess[inside], "step": step[inside], "time": time[inside],
            "product": product[inside], "value": value[inside], "logged": logged[inside]}


# ---------------------------------------------------------------- frames

def _micros(seconds: np.ndarray) -> pl.Series:
    return pl.Series(seconds.astype(np.int64) * 1_000_000).cast(pl.Datetime("us"))


def _order_frame(orders: dict, cust: dict, ids: IdCounters) -> tuple[pl.DataFrame, pl.Series]:
    m = orders["n"]
    order_ids = _prefixed("O", np.arange(ids.orders, ids.orders + m) + 1, 10)
    unpaid = orders["status"] == 1
    pay_time = _micros(orders["time"] + orders["pay_delay"])
    frame = pl.DataFrame({
        "order_id": order_ids,
        "customer_id": _customer_ids(cust["numbers"][orders["owner"]], cust["total"]),
        "order_time": _micros(orders["time"]),
        "pay_time": pl.select(pl.when(pl.Series(~unpaid)).then(pay_time)).to_series(),
        "amount": orders["amount"],
        "discount": orders["discount"],
        "shipping_fee": orders["shipping"],
        "status": _strings(("paid", "cancelled", "refunded"), orders["status"]),
        "region": cust["frame"]["region"].gather(pl.Series(orders["owner"].astype(np.uint32))),
        "channel": _strings(CHANNELS, orders["channel"]),
        "device": _strings(DEVICES, orders["device"]),
        "delivery_days": np.where(unpaid, np.nan, orders["delivery"]),
    }).with_columns(pl.col("delivery_days").fill_nan(None))
    return frame, order_ids


def _items_frame(items: dict, order_ids: pl.Series, products: Products) -> pl.DataFrame:
    return pl.DataFrame({
        "order_id": order_ids.gather(pl.Series(items["order"].astype(np.uint32))),
        "product_id": product_ids(items["product"]),
        "category": _strings(CATEGORIES, items["category"]),
        "quantity": items["quantity"].astype(np.int64),
        "unit_price": items["unit_price"],
        "unit_cost": items["unit_cost"],
        "returned": items["returned"],
        "rating": items["rating"],
    }).with_columns(pl.col("rating").fill_nan(None))


PAGES = ("首页", "商品详情", "购物车", "结算", "支付")


def _events_frame(ev: dict, s: dict, cust: dict, ids: IdCounters) -> pl.DataFrame:
    sess = ev["session"]
    owner = s["owner"][sess]
    numbers = cust["numbers"][owner]
    anonymous = s["anonymous"][sess]
    # a customer has one visitor id per device; anonymous visitors are numbered apart
    visitor_num = np.where(anonymous, s["anon_visitor"][sess], numbers * 4 + s["device"][sess])
    visitor = pl.select(
        pl.when(pl.Series(anonymous)).then(pl.lit("A")).otherwise(pl.lit("V"))
        + _prefixed("", visitor_num, 9)
    ).to_series()
    customer = _customer_ids(numbers, cust["total"])
    customer = pl.select(pl.when(pl.Series(ev["logged"])).then(customer)).to_series()
    product = ev["product"]
    has_product = product >= 0
    safe = np.where(has_product, product, 0)
    frame = pl.DataFrame({
        "visitor_id": visitor,
        "customer_id": customer,
        "session_id": _prefixed("S", sess + ids.sessions + 1, 10),
        "event_time": _micros(ev["time"]),
        "event": _strings(EVENT_STEPS, ev["step"]),
        "device": _strings(DEVICES, s["device"][sess]),
        "source": _strings(CHANNELS, s["source"][sess]),
        "page": _strings(PAGES, ev["step"]),
        "product_id": product_ids(safe),
        "category": _strings(CATEGORIES, safe // PRODUCTS_PER_CATEGORY),
        "value": ev["value"],
    })
    return frame.with_columns(
        pl.when(pl.Series(has_product)).then(pl.col("product_id")).alias("product_id"),
        pl.when(pl.Series(has_product)).then(pl.col("category")).alias("category"),
        pl.col("value").fill_nan(None),
    )


# ---------------------------------------------------------------- experiments


def _experiments(rng, tables: dict[str, pl.DataFrame], orders: dict, cust: dict, cal: Calendar, stories: bool,
                 products: Products, ids: IdCounters, truth: MoneyTruth, first: int, n: int) -> dict[str, pl.DataFrame]:
    """The two experiments of the chunk's customers, as exposures (``experiments``), and, with the
    stories, the email orders that make B win (added to the orders, lines and events).

    - the member email (``EXP-EMAIL-SUBJECT``, by customer): every customer with 2 paid orders or
      more in the :data:`EMAIL_RECENT_DAYS` before :data:`EMAIL_START` opens it on a day between
      :data:`EMAIL_START` and :data:`EMAIL_END`, half with subject A (``is_control``), half with
      B. With the stories, each B customer without a paid order in the 30 days after opening gets
      one with probability ``lift x p / (1 - p)`` (p: the customers' own conversion), so that B
      converts 10% more than A in expectation;
    - the homepage banner (``EXP-HOME-BANNER``, by visitor): :data:`BANNER_TRAFFIC` of the
      visitors with a visit from :data:`BANNER_START` on, exposed at their first visit, split
      50/50, or 45/55 with the stories (the sample ratio mismatch). No effect either way.
    """
    day = 86400
    start, end = _day(EMAIL_START), _day(EMAIL_END)
    paid = orders["status"] == 0
    recent = paid & (orders["time"] >= (start - EMAIL_RECENT_DAYS) * day) & (orders["time"] < start * day)
    owners, counts = np.unique(orders["owner"][recent], return_counts=True)
    units = owners[counts >= EMAIL_MIN_ORDERS]
    exposure = ((start + rng.integers(0, end - start + 1, units.size)) * day + 9 * 3600
                + np.minimum(rng.exponential(7200.0, units.size), 13 * 3600).astype(np.int64))
    is_b = rng.random(units.size) < 0.5
    window = EMAIL_WINDOW_DAYS * day
    converted = _converted(orders, units, exposure, window)
    extra = None
    if stories and units.size:
        p = converted.mean()
        q = EMAIL_LIFT * p / (1 - p) if p < 1 else 0.0
        gain = is_b & ~converted & (rng.random(units.size) < q)
        at = exposure[gain] + (rng.uniform(0.02, EMAIL_WINDOW_DAYS - 0.1, int(gain.sum())) * day).astype(np.int64)
        keep = at < (cal.end + 1) * day
        extra = _email_orders(rng, units[gain][keep], at[keep], cust, cal, stories, products, first, n)
        truth.email_planted += int(keep.sum())
        truth.email_expected_gain += float(is_b.sum() * EMAIL_LIFT * p)
    truth.email_units += np.array([(~is_b).sum(), is_b.sum()])
    if extra is not None and extra["orders"]["n"]:
        x_orders, x_items, x_sessions, x_events = extra["orders"], extra["items"], extra["sessions"], extra["events"]
        _apparel_truth(truth, x_orders, x_items)
        frame, order_ids = _order_frame(x_orders, cust, ids)
        tables["orders"] = pl.concat([tables["orders"], frame])
        tables["order_items"] = pl.concat([tables["order_items"], _items_frame(x_items, order_ids, products)])
        tables["events"] = pl.concat([tables["events"], _events_frame(x_events, x_sessions, cust, ids)])
        ids.orders += x_orders["n"]
        ids.sessions += x_sessions["n"]
    email = pl.DataFrame({
        "experiment_id": EMAIL_EXPERIMENT,
        "variant": np.where(is_b, "B", "A"),
        "exposure_time": _micros(exposure),
        "customer_id": _customer_ids(cust["numbers"][units], cust["total"]),
        "visitor_id": pl.Series([None] * units.size, dtype=pl.String),
        "experiment_name": EMAIL_NAME,
        "is_control": ~is_b,
    })
    _email_value(truth, tables["orders"], email)
    return tables | {"experiments": pl.concat([email, _banner(rng, tables["events"], stories)])}


def _converted(orders: dict, units: np.ndarray, exposure: np.ndarray, window: int) -> np.ndarray:
    """Whether each unit (a customer index) has a paid order within ``window`` seconds of its exposure."""
    paid = pl.DataFrame({"owner": orders["owner"], "time": orders["time"]}).filter(pl.Series(orders["status"] == 0))
    hits = (pl.DataFrame({"owner": units, "exposure": exposure}).join(paid, on="owner")
            .filter((pl.col("time") >= pl.col("exposure")) & (pl.col("time") < pl.col("exposure") + window))
            ["owner"].unique())
    return np.isin(units, hits.to_numpy())


def _email_orders(rng, owner: np.ndarray, at: np.ndarray, cust: dict, cal: Calendar, stories: bool,
                  products: Products, first: int, n: int) -> dict:
    """Paid email orders (channel 邮件短信) of the given customers at the given times, with their
    lines, sessions and events, made as the shop's own orders are."""
    order = np.lexsort((at, owner))
    owner, at = owner[order], at[order]
    m = owner.size
    orders = {"n": m, "owner": owner, "time": at, "browse_time": at,
              "channel": np.full(m, CHANNELS.index("邮件短信")), "device": cust["device"][owner],
              "status": np.zeros(m, dtype=np.int64),
              "pay_delay": np.round(np.minimum(rng.lognormal(3.4, 0.8, m), 1800)).astype(np.int64) + 5,
              "delivery": np.round(1.0 + 0.5 * cust["tier"][owner] + rng.gamma(2.0, 0.6, m))}
    items = _items(rng, orders, cust, products, stories, cal)
    orders = _price_orders(rng, orders, items, cust)
    sessions = _sessions(rng, orders, cust, cal, products, first, n)
    events = _events(rng, sessions, orders, items, products, cal)
    return {"orders": orders, "items": items, "sessions": sessions, "events": events}


def _email_value(truth: MoneyTruth, orders: pl.DataFrame, email: pl.DataFrame) -> None:
    """The email customers' paid orders within their windows: the value of one payment in the truth."""
    within = (email.select("customer_id", "exposure_time").join(orders.filter(pl.col("status") == "paid"),
                                                                on="customer_id")
              .filter((pl.col("order_time") >= pl.col("exposure_time"))
                      & (pl.col("order_time") < pl.col("exposure_time") + pl.duration(days=EMAIL_WINDOW_DAYS))))
    truth.email_window_amount += float(within["amount"].sum())
    truth.email_window_orders += within.height


def _banner(rng, events: pl.DataFrame, stories: bool) -> pl.DataFrame:
    """The homepage banner test's exposures: a share of the visitors seen from :data:`BANNER_START`,
    at their first visit (by visitor id: a customer on two devices may see both banners)."""
    first_visits = (events.filter((pl.col("event") == "view") & (pl.col("event_time") >= _as_datetime(BANNER_START)))
                    .group_by("visitor_id").agg(pl.col("event_time").min().alias("exposure_time"))
                    .sort("visitor_id"))
    chosen = first_visits.filter(pl.Series(rng.random(first_visits.height) < BANNER_TRAFFIC))
    treated = rng.random(chosen.height) < (BANNER_TREATMENT_SHARE if stories else 0.5)
    return chosen.select(
        pl.lit(BANNER_EXPERIMENT).alias("experiment_id"),
        pl.Series("variant", np.where(treated, BANNER_VARIANTS[1], BANNER_VARIANTS[0])),
        "exposure_time",
        pl.lit(None, dtype=pl.String).alias("customer_id"),
        "visitor_id",
        pl.lit(BANNER_NAME).alias("experiment_name"),
        pl.lit(None, dtype=pl.Boolean).alias("is_control"),
    )


def _as_datetime(d: date):
    from datetime import datetime

    return datetime(d.year, d.month, d.day)


# ---------------------------------------------------------------- marketing spend

def _marketing_spend(rng, customers: int, cal: Calendar, stories: bool) -> pl.DataFrame:
    """Daily spend of the paid channels, about 8% of GMV; the feed ads get 2.5x from 2025 in the story."""
    days = np.arange(cal.orders_start, cal.end + 1)
    names = list(PAID_CHANNEL_SPEND)
    day = np.repeat(days, len(names))
    channel = np.tile(np.arange(len(names)), days.size)
    share = np.asarray(list(PAID_CHANNEL_SPEND.values()))[channel]
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    weekend = np.where(weekday >= 5, 1.15, 1.0)
    spend = 0.27 * customers * share * weekend * rng.lognormal(0.0, 0.15, day.size)
    if stories:
        feed = (np.asarray(names)[channel] == FEED_CHANNEL) & (day >= _day(FEED_START))
        spend = np.where(feed, spend * 2.5, spend)
    return pl.DataFrame({
        "date": pl.Series(day.astype(np.int32)).cast(pl.Date),
        "channel": _strings(names, channel),
        "spend": np.round(spend, 2),
    })
