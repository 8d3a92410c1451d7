"""The metric glossary: every KPI, rate and definition the report uses, with its formula, in zh
and en, defined once here. The appendix shows it whole, the introduction the definitions it
names (:mod:`kit.figures.appendix`, :mod:`kit.figures.intro`); keys under ``glossary.``.

Adding an entry is one :class:`Term` in :data:`TERMS` (a line): its key, its group, its name
and its definition in each language. ``{placeholders}`` in a definition are the run's
parameters (:func:`kit.figures.appendix.parameters`): ``{at_risk_days}``, ``{churn_days}``,
``{cart_window_hours}``, ``{session_gap_minutes}``, ``{horizon_months}``, ``{significance}``,
``{min_drop}``, ``{currency}``.
"""

from __future__ import annotations

from typing import NamedTuple


class Term(NamedTuple):
    key: str
    group: str
    zh: str
    en: str
    zh_def: str
    en_def: str


GROUPS: tuple[str, ...] = ("customers", "orders", "visits", "retention", "value", "products", "diagnosis")
"""The glossary's groups, in the order it is shown."""

TERMS: tuple[Term, ...] = (
    # ---- customers: who counts as what
    Term("active_customers", "customers", "活跃客户", "Active customers",
         "本期有至少 1 笔支付订单的客户数", "customers with at least one paid order in the period"),
    Term("new_customers", "customers", "新客", "New customers",
         "首笔支付订单（数据中的第一笔）落在本期的客户数", "customers whose first paid order in the data falls in the period"),
    Term("churn_rate", "customers", "流失率（KPI）", "Churn rate (KPI)",
         "对比期的活跃客户中本期没有支付订单的客户 / 对比期的活跃客户；各地区流失同此口径",
         "customers active in the comparison period with no paid order in this period / the comparison period's "
         "active customers; churn by region is the same"),
    Term("monthly_churn", "customers", "月流失率", "Monthly churn",
         "上月有支付订单的客户中本月没有支付订单的占比（诊断中的按月趋势）",
         "share of last month's buyers with no paid order this month (the monthly trends of the diagnosis)"),
    Term("stage_new", "customers", "生命周期：新客", "Lifecycle: new",
         "期末时首笔支付订单在本期内的客户", "at the period end: customers whose first paid order is in the period"),
    Term("stage_active", "customers", "生命周期：活跃", "Lifecycle: active",
         "期末时最近一次支付距期末不足 {at_risk_days} 天", "at the period end: last paid order less than {at_risk_days} days before"),
    Term("stage_at_risk", "customers", "生命周期：流失风险", "Lifecycle: at risk",
         "期末时最近一次支付距期末 {at_risk_days} 至 {churn_days} 天", "at the period end: last paid order {at_risk_days} to {churn_days} days before"),
    Term("stage_churned", "customers", "生命周期：已流失", "Lifecycle: churned",
         "期末时最近一次支付距期末 {churn_days} 天及以上（按最近一次购买的时间，不同于 KPI 流失率）",
         "at the period end: last paid order {churn_days} days or more before (by recency, unlike the KPI churn rate)"),
    Term("p_alive", "customers", "存活概率 P(存活)", "Probability alive",
         "BG/NBD 模型估计的客户在期末仍会继续购买的概率；是模型概率，不是流失口径，≥ 50% 计为“很可能活跃”",
         "the BG/NBD model's probability that a customer will still buy after the period end; a model probability, "
         "not a churn definition; 50% or more counts as likely active"),
    # ---- orders and money
    Term("paid_orders", "orders", "支付订单", "Paid order",
         "状态为 paid 且金额不为负的订单；取消、退款的订单不计", "an order with status paid and an amount of at least 0; cancelled and refunded orders are not"),
    Term("gmv", "orders", "GMV", "GMV", "本期支付订单金额之和（{currency}）", "the sum of the period's paid order amounts ({currency})"),
    Term("aov", "orders", "客单价", "AOV", "GMV / 支付订单数", "GMV / paid orders"),
    Term("category_share", "orders", "品类占比", "Category share",
         "品类订单行金额（数量 × 单价）/ 全部订单行金额", "the category's line value (quantity x unit price) / all lines' value"),
    Term("return_rate", "orders", "退货率", "Return rate", "支付订单中退货的订单行 / 订单行", "returned lines of paid orders / lines"),
    Term("preference_index", "orders", "偏好指数", "Preference index",
         "群体内品类 GMV 占比 / 整体品类 GMV 占比 × 100（100 = 与整体一致）",
         "the group's category share of GMV / the overall share x 100 (100 = like everyone)"),
    # ---- visits and the funnel
    Term("session", "visits", "会话", "Session",
         "同一访客相邻事件间隔不超过 {session_gap_minutes} 分钟的一段访问，归属其首个事件所在的期间",
         "a visitor's events with gaps of at most {session_gap_minutes} minutes, in the period of its first event"),
    Term("visits_per_day", "visits", "日均访问", "Visits per day",
         "某个星期几的会话数 / 本期内该星期几的天数（一季度可能有 14 个周三、13 个周四）",
         "a weekday's sessions / the number of those weekdays in the period (a quarter may hold 14 Wednesdays and 13 Thursdays)"),
    Term("visit_to_pay", "visits", "访问-支付转化率", "Visit-to-pay conversion",
         "含支付事件的会话 / 会话", "sessions with a pay event / sessions"),
    Term("step_conversion", "visits", "步骤转化率", "Step conversion",
         "到达第 k 步的会话 / 到达第 k-1 步的会话（按步骤顺序）", "sessions reaching step k / sessions reaching step k-1 (in order)"),
    Term("cart_abandonment", "visits", "购物车放弃率", "Cart abandonment",
         "加购后 {cart_window_hours} 小时内没有支付的购物车 / 购物车", "carts with no payment within {cart_window_hours} hours / carts"),
    Term("roi", "visits", "投放 ROI", "ROI", "渠道支付订单 GMV / 渠道投放金额", "the channel's paid GMV / its marketing spend"),
    Term("cac", "visits", "获客成本", "CAC", "渠道投放金额 / 该渠道获得的新客", "the channel's spend / the new customers it brought"),
    # ---- retention
    Term("repurchase_rate", "retention", "复购率", "Repurchase rate",
         "本期有至少 2 笔支付订单的客户 / 活跃客户", "customers with at least two paid orders in the period / active customers"),
    Term("n_day_repurchase", "retention", "N 天复购率", "N-day repurchase",
         "首购客户中 N 天内再次购买的占比；本期评估首购落在本期前移 N 天的客户",
         "share of first-time buyers who buy again within N days; the period judges the buyers whose first order falls N days before it"),
    Term("cohort_retention", "retention", "同期群留存", "Cohort retention",
         "首购月份相同的客户中第 m 个月有支付订单的占比", "share of a first-purchase month's customers with a paid order m months later"),
    Term("purchase_interval", "retention", "复购间隔", "Purchase interval",
         "同一客户相邻两笔支付订单之间的天数", "days between a customer's consecutive paid orders"),
    # ---- value
    Term("rfm", "value", "RFM", "RFM",
         "R = 期末距最近一次支付的天数，F = 支付订单数，M = 支付金额（截至期末）",
         "R = days from the last paid order to the period end, F = paid orders, M = paid amount (up to the period end)"),
    Term("top20_share", "value", "收入集中度", "Revenue concentration",
         "本期消费最多的 20% 客户的 GMV / GMV", "GMV of the period's top 20% of buyers / GMV"),
    Term("clv", "value", "客户终身价值", "Lifetime value",
         "BG/NBD 预期购买次数 × Gamma-Gamma 预期单笔金额，未来 {horizon_months} 个月",
         "BG/NBD expected purchases x Gamma-Gamma expected spend per purchase, over the next {horizon_months} months"),
    # ---- products and baskets
    Term("margin_rate", "products", "毛利率", "Gross margin",
         "(销售额 − 成本) / 销售额，只计有成本（unit_cost）的订单行；销售额 = 数量 × 单价",
         "(sales - cost) / sales over the order lines with a unit_cost; sales = quantity x unit price"),
    Term("quadrants", "products", "销量-利润象限", "Sales x margin quadrants",
         "按销售额占比与毛利率的中位数（或参数阈值）分为明星款（高、高）、引流款（高销售、低毛利）、利润款（低销售、高毛利）、待优化款（低、低）",
         "split at the medians (or the params' thresholds) of sales share and margin: stars (high, high), traffic "
         "drivers (high sales, low margin), profit makers (low sales, high margin), to improve (low, low)"),
    Term("abc", "products", "ABC 分类", "ABC classes",
         "商品按本期销售额从高到低累计：累计到 80% 之前为 A 类，到 95% 之前为 B 类，其余为 C 类（长尾）",
         "products by the period's sales, largest first: A until 80% of sales, B until 95%, C the long tail"),
    Term("sell_through", "products", "动销率", "Sell-through (动销率)",
         "本期有销售的商品 / 截至期末在数据中出现过的商品", "products sold in the period / products seen in the data up to its end"),
    Term("support", "products", "支持度", "Support", "同时含 A 和 B 的支付订单 / 全部支付订单",
         "paid orders with A and B / all paid orders"),
    Term("confidence", "products", "置信度", "Confidence", "同时含 A 和 B 的订单 / 含 A 的订单",
         "orders with A and B / orders with A"),
    Term("lift", "products", "提升度", "Lift", "置信度 / 含 B 的订单占比；大于 1 表示比随机更常一起购买",
         "confidence / the share of orders with B; above 1: bought together more often than chance"),
    # ---- the diagnosis
    Term("significance", "diagnosis", "显著性", "Significance",
         "文中所述的差异须通过双侧检验（p ≤ {significance}），否则写作“无明显差异”",
         "a difference the text states passes a two-sided test (p ≤ {significance}); otherwise the text says the values are similar"),
    Term("onset", "diagnosis", "起始点", "Onset",
         "按月序列中持续至少 3 个月、比此前相对变差至少 {min_drop}、通过检验的时段的第一个月（相对同组其他成员）",
         "the first month of a stretch of at least 3 months at least {min_drop} worse than before, relative to the rest "
         "of its group, that passes the test"),
    Term("money_at_stake", "diagnosis", "涉及金额", "Money at stake",
         "本期 GMV（或花费）在该指标保持其对照水平时会有的差额 = 受影响的量 × 与对照水平的差 × 单位价值；"
         "对照（对比期、全店其他部分、品类常态或目标阈值）随每项发现注明，各规则的算法见下",
         "the period's GMV (or cost) that would have been different had the metric stayed at its reference = volume "
         "affected x gap to the reference x value per unit; each finding states its reference (comparison period, rest "
         "of the shop, the norm or a target threshold); each rule's formula follows"),
    Term("total_at_stake", "diagnosis", "涉及金额合计", "Total at stake",
         "各项发现的涉及金额之和，同一客户只计一次：有行动名单的发现把金额平均分到名单上的客户，出现在多份名单上的客户按其中最大的一份计",
         "the findings' money at stake added up, each customer counted once: a finding with an action list spreads "
         "its money evenly over the customers on it, and a customer on several lists counts at the largest share"),
)
"""Every term, in the order shown within its group."""

RULE_FORMULAS: tuple[tuple[str, str, str], ...] = (
    ("funnel.dated_drop", "环节转化率骤降", "A step's conversion collapsing"),
    ("funnel.step_drop", "环节转化率下降", "A step's conversion falling"),
    ("funnel.weakest_step", "最薄弱环节", "The weakest step"),
    ("cart.abandonment", "购物车放弃率偏高", "High cart abandonment"),
    ("retention.first_repurchase.spend", "渠道新客不复购（有投放花费）", "A channel's new customers not returning (with spend)"),
    ("retention.first_repurchase.orders", "某组新客不复购", "A group's new customers not returning"),
    ("retention.falling_repurchase", "新客复购率下降", "New customers' repurchase falling"),
    ("rfm.high_value_shrink", "高价值客户群缩小", "High-value segment shrinking"),
    ("rfm.churned_growth", "流失客户群扩大", "Churned segment growing"),
    ("rfm.concentration", "收入集中", "Revenue concentration"),
    ("customers.churn", "地区流失（按 GMV 份额）", "A place churning (by GMV share)"),
    ("customers.churn.customers", "地区流失（按客户）", "A place churning (by customers)"),
    ("product.quality", "品类退货与差评", "A category's returns and ratings"),
    ("channel.roi_drop", "渠道 ROI 下降", "A channel's ROI falling"),
    ("product.margin", "品类或商品毛利率下滑", "A category's or product's margin falling"),
    ("product.cross_sell", "交叉销售机会", "A cross-sell opportunity"),
    ("product.catalogue", "动销率下降", "Sell-through (动销率) falling"),
)
"""Each rule's money-at-stake formula in the appendix: the key of its ``diag.formula.`` text (in
:mod:`kit.i18n.diagnosis`, the one place the formula is written) and the rule's name."""

TEXT: dict[str, dict[str, str]] = {
    **{f"glossary.{t.key}.term": {"zh": t.zh, "en": t.en} for t in TERMS},
    **{f"glossary.{t.key}.def": {"zh": t.zh_def, "en": t.en_def} for t in TERMS},
    "glossary.group.customers": {"zh": "客户", "en": "Customers"},
    "glossary.group.orders": {"zh": "订单与金额", "en": "Orders and money"},
    "glossary.group.visits": {"zh": "访问与转化", "en": "Visits and conversion"},
    "glossary.group.retention": {"zh": "复购与留存", "en": "Repurchase and retention"},
    "glossary.group.value": {"zh": "客户价值", "en": "Customer value"},
    "glossary.group.products": {"zh": "商品与购物篮", "en": "Products and baskets"},
    "glossary.group.diagnosis": {"zh": "诊断", "en": "Diagnosis"},
    **{f"glossary.rule.{key}": {"zh": zh, "en": en} for key, zh, en in RULE_FORMULAS},
    "glossary.col.group": {"zh": "类别", "en": "Group"},
    "glossary.col.term": {"zh": "指标", "en": "Term"},
    "glossary.col.definition": {"zh": "定义与公式", "en": "Definition and formula"},
}
