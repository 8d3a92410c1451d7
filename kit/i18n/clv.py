"""Section 3.3, customer lifetime value: keys under ``clv.``."""

TEXT: dict[str, dict[str, str]] = {
    "clv.title": {"zh": "客户终身价值", "en": "Customer lifetime value"},
    "clv.method": {
        "zh": "以报告期末之前的全部已支付订单拟合 BG/NBD（预期复购次数、存活概率）与 Gamma-Gamma（每次购买的预期金额）模型（最大似然估计），预测未来 {months} 个月。",
        "en": "BG/NBD (expected repeat purchases, probability alive) and Gamma-Gamma (expected spend per purchase) "
              "fitted by maximum likelihood on all paid orders up to the period end; forecast for the next {months} months.",
    },
    # ---- narrative
    "clv.total": {
        "zh": "未来 {months} 个月，{customers} 位客户预计复购 {purchases} 次，预期价值合计 {value}。",
        "en": "Over the next {months} months the {customers} customers are expected to make {purchases} repeat purchases "
              "worth {value} in total.",
    },
    "clv.top_segment": {
        "zh": "预期价值最高的分群是「{segment}」：{value}，占总预期价值的 {share}。",
        "en": "The segment with the most expected value is {segment}: {value}, {share} of the total.",
    },
    "clv.alive_share": {
        "zh": "{share} 的客户很可能仍然活跃（存活概率 ≥ 50%）。",
        "en": "{share} of customers are likely still active (probability alive of 50% or more).",
    },
    "clv.alive_share_repeat": {
        "zh": "{share} 的客户很可能仍然活跃（存活概率 ≥ 50%）；模型视只购买过一次的客户为活跃，复购客户中这一比例为 {repeat_share}。",
        "en": "{share} of customers are likely still active (probability alive of 50% or more); the model counts "
              "one-time buyers as active, and among repeat buyers the share is {repeat_share}.",
    },
    "clv.holdout": {
        "zh": "检验期（{start} 至 {end}）内模型预测人均复购 {predicted} 次，实际 {actual} 次。",
        "en": "In the holdout ({start} to {end}) the model predicted {predicted} repeat purchases per customer; "
              "the actual figure was {actual}.",
    },
    "clv.not_shown": {"zh": "未展示客户终身价值：{reason}", "en": "Customer lifetime value is not shown: {reason}"},
    "clv.reason.no_customers": {"zh": "报告期末之前没有已支付订单。", "en": "there are no paid orders up to the period end."},
    "clv.reason.too_few_repeat_buyers": {
        "zh": "复购客户只有 {repeat_buyers} 位，少于拟合所需的 {min_repeat_buyers} 位。",
        "en": "only {repeat_buyers} customers bought again, fewer than the {min_repeat_buyers} the fit needs.",
    },
    "clv.reason.no_convergence": {"zh": "模型拟合未收敛。", "en": "the model fit did not converge."},
    "clv.reason.at_bound": {
        "zh": "模型参数趋于极端值，数据不足以估计模型。",
        "en": "the model parameters ran to their limits; the data cannot identify the model.",
    },
    "clv.reason.q_not_above_1": {
        "zh": "消费金额分布过于分散（Gamma-Gamma 参数 q ≤ 1），无法估计平均金额。",
        "en": "spend per purchase is too dispersed (Gamma-Gamma q ≤ 1) for a mean spend to exist.",
    },
    # ---- charts and tables
    "clv.chart.by_segment": {"zh": "各分群未来 {months} 个月预期价值", "en": "Expected {months}-month value by segment"},
    "clv.chart.p_alive": {"zh": "客户存活概率分布", "en": "Probability alive: distribution of customers"},
    "clv.chart.holdout": {"zh": "检验期复购：预测与实际", "en": "Holdout repeat purchases: predicted vs actual"},
    "clv.axis.expected_value": {"zh": "预期价值", "en": "Expected value"},
    "clv.axis.p_alive": {"zh": "存活概率", "en": "Probability alive"},
    "clv.axis.share_customers": {"zh": "客户占比", "en": "Share of customers"},
    "clv.axis.calibration_purchases": {"zh": "拟合期复购次数", "en": "Repeat purchases in the calibration period"},
    "clv.axis.holdout_purchases": {"zh": "检验期人均复购次数", "en": "Repeat purchases per customer in the holdout"},
    "clv.predicted": {"zh": "预测", "en": "Predicted"},
    "clv.actual": {"zh": "实际", "en": "Actual"},
    "clv.no_segment": {"zh": "未分群", "en": "No segment"},
    "clv.col.segment": {"zh": "分群", "en": "Segment"},
    "clv.col.customers": {"zh": "客户数", "en": "Customers"},
    "clv.col.expected_purchases": {"zh": "预期复购次数", "en": "Expected purchases"},
    "clv.col.expected_value": {"zh": "预期价值", "en": "Expected value"},
    "clv.col.mean_p_alive": {"zh": "平均存活概率", "en": "Mean probability alive"},
    "clv.col.value_share": {"zh": "价值占比", "en": "Share of value"},
}
