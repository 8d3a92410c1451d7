"""Section 2, conversion path and repurchase: keys under ``conv.``."""

TEXT: dict[str, dict[str, str]] = {
    "conv.section": {"zh": "客户行为路径与转化分析", "en": "Conversion path and repurchase"},
    "conv.intro": {"zh": "本节跟踪访问从浏览到支付的每一步：在哪一步流失最多、哪些设备和来源转化更差、哪一天出现异常，以及购物车放弃与复购。",
                   "en": "How visits move from browsing to payment: where most are lost, which devices and sources convert worse, on which days something broke, then carts left behind and repurchase."},
    "conv.h.paths": {"zh": "常见路径", "en": "Common paths"},
    "conv.h.daily": {"zh": "每日转化", "en": "Daily conversion"},
    "conv.col.outcome": {"zh": "结果", "en": "Outcome"},
    "conv.col.path": {"zh": "路径", "en": "Path"},
    "conv.col.sessions": {"zh": "会话数", "en": "Sessions"},
    "conv.col.share": {"zh": "占比", "en": "Share"},
    "conv.daily_note": {"zh": "下图为报告期内每天各步骤的转化率，按设备与来源分开，便于发现某一天开始的异常。",
                        "en": "Each step's conversion day by day in the period, by device and by source, so that an incident starting on a given day shows."},
    "conv.h.roi": {"zh": "渠道投入产出", "en": "Return on marketing spend"},
    "conv.col.channel": {"zh": "渠道", "en": "Channel"},
    "conv.col.spend": {"zh": "投放花费", "en": "Spend"},
    "conv.col.gmv": {"zh": "GMV", "en": "GMV"},
    "conv.col.roi": {"zh": "ROI", "en": "ROI"},
    "conv.col.change": {"zh": "较上期", "en": "vs previous"},
    "conv.col.new_customers": {"zh": "新客", "en": "New customers"},
    "conv.col.cac": {"zh": "获客成本", "en": "CAC"},
    "conv.roi.best_worst": {"zh": "投入产出比最高的渠道是{best}（ROI {best_roi}），最低的是{worst}（{worst_roi}）。",
                            "en": "{best} returns the most per unit spent (ROI {best_roi}), {worst} the least ({worst_roi})."},
    "conv.roi.fall": {"zh": "{channel} 的 ROI 由上期的 {roi_prev} 降至 {roi}。", "en": "{channel}'s ROI fell from {roi_prev} to {roi}."},
    "conv.h.funnel": {"zh": "关键转化节点", "en": "Funnel"},
    "conv.h.cart": {"zh": "购物车放弃率", "en": "Cart abandonment"},
    # ------------------------------------------------------------------ labels
    "conv.step.view": {"zh": "访问", "en": "Visit"},
    "conv.step.product_view": {"zh": "浏览商品", "en": "Product view"},
    "conv.step.add_to_cart": {"zh": "加入购物车", "en": "Add to cart"},
    "conv.step.checkout": {"zh": "提交订单", "en": "Checkout"},
    "conv.step.pay": {"zh": "支付", "en": "Pay"},
    "conv.step.exit": {"zh": "离开", "en": "Exit"},
    "conv.visitor.new": {"zh": "新访客", "en": "New"},
    "conv.visitor.returning": {"zh": "回访客", "en": "Returning"},
    "conv.group.all": {"zh": "全部", "en": "All"},
    "conv.dimension.all": {"zh": "整体", "en": "Overall"},
    "conv.dimension.device": {"zh": "设备", "en": "device"},
    "conv.dimension.source": {"zh": "流量来源", "en": "source"},
    "conv.dimension.visitor": {"zh": "新老访客", "en": "new vs returning"},
    "conv.dimension.category": {"zh": "品类", "en": "category"},
    "conv.outcome.purchase": {"zh": "购买", "en": "Purchase"},
    "conv.outcome.exit": {"zh": "离开", "en": "Exit"},
    "conv.unit.session": {"zh": "会话", "en": "sessions"},
    "conv.unit.user": {"zh": "用户", "en": "users"},
    "conv.minutes": {"zh": "{n} 分钟", "en": "{n} min"},
    "conv.hours": {"zh": "{n} 小时", "en": "{n} h"},
    "conv.days": {"zh": "{n} 天", "en": "{n} days"},
    # ------------------------------------------------------------------ charts
    "conv.chart.funnel": {"zh": "转化漏斗", "en": "Conversion funnel"},
    "conv.chart.count": {"zh": "{unit}数", "en": "Number of {unit}"},
    "conv.chart.step_conversion": {"zh": "步骤转化率", "en": "Step conversion"},
    "conv.chart.change_label": {"zh": "（环比{change}）", "en": "(vs prev. {change})"},
    "conv.chart.overall_line": {"zh": "灰线：全店", "en": "grey line: the whole shop"},
    "conv.chart.previous": {"zh": "对比期", "en": "Comparison period"},
    "conv.chart.current": {"zh": "本期", "en": "This period"},
    "conv.chart.breakdown": {"zh": "各{dimension}的步骤转化率（95% 置信区间）",
                             "en": "Step conversion by {dimension} (95% confidence interval)"},
    "conv.chart.daily": {"zh": "每日步骤转化率", "en": "Daily step conversion"},
    "conv.chart.rate": {"zh": "转化率", "en": "Conversion"},
    "conv.chart.cart": {"zh": "购物车放弃率", "en": "Cart abandonment"},
    "conv.chart.abandonment_rate": {"zh": "放弃率", "en": "Abandonment rate"},
    "conv.chart.cart_note": {"zh": "灰色竖线为对比期放弃率；数字为较对比期的变化（个百分点），下降为绿色",
                             "en": "Grey tick: the comparison period's rate; numbers: the change in points, a fall in green"},
    # ------------------------------------------------------------------ narrative
    "conv.weakest": {
        "zh": "最薄弱的环节是「{step}」：到达「{before}」的{unit}中只有 {rate} 继续到这一步，对比期为 {rate_prev}（{change}）。",
        "en": "The weakest step is {step}: only {rate} of the {unit} that reached {before} went on to it, "
              "against {rate_prev} in the comparison period ({change}).",
    },
    "conv.weakest_no_prev": {
        "zh": "最薄弱的环节是「{step}」：到达「{before}」的{unit}中只有 {rate} 继续到这一步。",
        "en": "The weakest step is {step}: only {rate} of the {unit} that reached {before} went on to it.",
    },
    "conv.overall": {
        "zh": "共 {journeys} 个{unit}，其中 {converted} 个完成「{last}」，整体转化率 {rate}。",
        "en": "Of {journeys} {unit}, {converted} reached {last}: an overall conversion of {rate}.",
    },
    "conv.worst_group": {
        "zh": "按{dimension}看，「{group}」转化最差：{rate}，比其余{unit}（{rest_rate}）低 {gap} 个百分点（{p}，差异显著）。",
        "en": "By {dimension}, {group} converts worst: {rate}, {gap} pp below the other {unit} ({rest_rate}; "
              "{p}, a significant difference).",
    },
    "conv.worst_group_ns": {
        "zh": "按{dimension}看，「{group}」转化最低：{rate}，其余{unit}为 {rest_rate}（低 {gap} 个百分点，{p}，差异不显著）。",
        "en": "By {dimension}, {group} converts lowest: {rate} against {rest_rate} for the other {unit} "
              "({gap} pp lower; {p}, not a significant difference).",
    },
    "conv.time_to_convert": {
        "zh": "完成支付的{unit}从首次浏览商品到支付的中位时长为 {median}，90% 在 {p90}以内。",
        "en": "{unit_cap} that paid took a median of {median} from their first product view to pay; 90% within {p90}.",
    },
    "conv.cart": {
        "zh": "{carts} 个加购会话中有 {abandoned} 个在 {hours} 小时内未支付，购物车放弃率 {rate}，对比期为 {rate_prev}（{change}）；"
              "放弃的购物车价值 {value}。",
        "en": "{abandoned} of {carts} carts were not paid within {hours} hours: a cart abandonment of {rate}, "
              "against {rate_prev} in the comparison period ({change}); the abandoned carts were worth {value}.",
    },
    "conv.cart_no_prev": {
        "zh": "{carts} 个加购会话中有 {abandoned} 个在 {hours} 小时内未支付，购物车放弃率 {rate}；放弃的购物车价值 {value}。",
        "en": "{abandoned} of {carts} carts were not paid within {hours} hours: a cart abandonment of {rate}; "
              "the abandoned carts were worth {value}.",
    },
    "conv.cart_worst": {
        "zh": "按{dimension}看，「{group}」放弃率最高：{rate}（{carts} 个购物车）。",
        "en": "By {dimension}, {group} abandons most: {rate} of {carts} carts.",
    },
    "conv.cart_timing": {
        "zh": "已支付的购物车从加购到支付的中位时长为 {median}，90% 在 {p90}以内。",
        "en": "Paid carts were paid a median of {median} after the add to cart; 90% within {p90}.",
    },
    "conv.no_journeys": {
        "zh": "本期没有会话数据，无法计算转化漏斗。",
        "en": "No sessions in the period: the funnel cannot be computed.",
    },
    "conv.no_carts": {
        "zh": "本期没有加购会话，无法计算购物车放弃率。",
        "en": "No carts in the period: cart abandonment cannot be computed.",
    },
}
