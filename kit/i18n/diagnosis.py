"""Section 4, diagnosis and recommendations: keys under ``diag.``."""

TEXT: dict[str, dict[str, str]] = {
    "diag.section": {"zh": "问题诊断与优化建议", "en": "Diagnosis and recommendations"},
    "diag.intro": {
        "zh": "以下发现由规则从前三章的数字中得出，按严重程度分组，组内按涉及金额排序。共 {total} 项：高 {high} 项，中 {medium} 项，低 {low} 项。",
        "en": "These findings come from rules over the figures of sections 1-3, grouped by severity and ordered by the money at stake. {total} in all: {high} high, {medium} medium, {low} low.",
    },
    "diag.none": {"zh": "本期未发现需要关注的问题。", "en": "No finding needs attention in this period."},
    "diag.h.high": {"zh": "高严重度", "en": "High severity"},
    "diag.h.medium": {"zh": "中严重度", "en": "Medium severity"},
    "diag.h.low": {"zh": "低严重度", "en": "Low severity"},
    "diag.where.all": {"zh": "全店", "en": "the whole shop"},
    "diag.dim.device": {"zh": "设备", "en": "device"},
    "diag.dim.source": {"zh": "来源", "en": "source"},
    "diag.dim.region": {"zh": "地区", "en": "region"},
    "diag.dim.channel": {"zh": "渠道", "en": "channel"},
    "diag.dim.acquisition_channel": {"zh": "获客渠道", "en": "acquisition channel"},
    "diag.dim.visitor": {"zh": "访客类型", "en": "visitors"},
    "diag.dim.all": {"zh": "全店", "en": "all"},
    # ---- segments
    "diag.rfm.high_value_shrink.title": {
        "zh": "{where}「{segment}」客户减少 {change}",
        "en": "{segment} customers down {change} ({where})",
    },
    "diag.rfm.high_value_shrink.rec": {
        "zh": "对{where}流失出「{segment}」的 {n} 名客户做专属回访与限时回归券，并检查该地区的履约与服务体验。",
        "en": "Reach out to the {n} customers who left {segment} ({where}) with a personal win-back offer, and check delivery and service there.",
    },
    "diag.rfm.churned_growth.title": {
        "zh": "{where}「{segment}」客户增加 {change}",
        "en": "{segment} customers up {change} ({where})",
    },
    "diag.rfm.churned_growth.rec": {
        "zh": "对{where}的 {n} 名「{segment}」发放限时回归券，并用短信/推送唤醒；唤醒无效者降低营销频次以控制成本。",
        "en": "Send the {n} {segment} customers ({where}) a time-limited comeback coupon and a reactivation message; stop paid reminders to those who do not respond.",
    },
    "diag.rfm.concentration.title": {
        "zh": "收入集中：前 20% 客户贡献 {share} 的 GMV",
        "en": "Revenue concentration: the top 20% of buyers bring {share} of GMV",
    },
    "diag.rfm.concentration.rec": {
        "zh": "为这 {n} 名核心客户建立专属服务与会员权益以降低流失风险，同时加大对中间层客户的培育，分散收入来源。",
        "en": "Protect these {n} core customers with dedicated service and member benefits, and grow the middle tier to spread revenue.",
    },
    # ---- products and channels
    "diag.product.quality.title": {
        "zh": "「{category}」退货率 {rate}、评分 {rating}，明显偏差",
        "en": "{category}: return rate {rate} and rating {rating}",
    },
    "diag.product.quality.rec": {
        "zh": "排查「{category}」的尺码说明、商品描述与质检环节（本期退货金额 {value}），优先处理差评集中的商品。",
        "en": "Review sizing guides, product descriptions and quality checks for {category} (returns worth {value} this period), starting with the worst-rated products.",
    },
    "diag.channel.roi_drop.title": {
        "zh": "渠道「{channel}」ROI 由 {roi_prev} 降至 {roi}",
        "en": "Channel {channel}: ROI down from {roi_prev} to {roi}",
    },
    "diag.channel.roi_drop.rec": {
        "zh": "复核「{channel}」的投放人群与出价（本期花费 {spend}），把预算转向 ROI 更高的渠道。",
        "en": "Review targeting and bids on {channel} (spend {spend} this period) and move budget to channels with a higher ROI.",
    },
    # ---- funnel and carts
    "diag.funnel.step_drop.title": {
        "zh": "{where}「{step}」转化率由 {rate_prev} 降至 {rate}",
        "en": "{step} conversion down from {rate_prev} to {rate} ({where})",
    },
    "diag.funnel.weakest.title": {
        "zh": "最薄弱环节：「{step}」，转化率 {rate}",
        "en": "Weakest step: {step}, converting {rate}",
    },
    "diag.funnel.dated_drop.title": {
        "zh": "{where}「{step}」转化率在 {start} 至 {end} 由 {before} 骤降至 {during}",
        "en": "{step} conversion fell from {before} to {during} between {start} and {end} ({where})",
    },
    "diag.funnel.dated_drop.rec": {
        "zh": "排查{where}在 {start} 至 {end} 期间「{step}」环节的故障：支付/下单接口、版本发布与第三方服务日志；{step}转化率由 {before} 降至 {during}，修复后对受影响的访客补发提醒。",
        "en": "Check {where} for what broke at the {step} step between {start} and {end} (payment provider, app release, third-party service logs): conversion fell from {before} to {during}; once fixed, remind the visitors who were affected.",
    },
    "diag.funnel.rec.product_view": {
        "zh": "优化{where}的首页推荐与搜索结果，让 {n} 个会话更快看到相关商品。",
        "en": "Improve recommendations and search on {where} so the {n} visits reach relevant products sooner.",
    },
    "diag.funnel.rec.add_to_cart": {
        "zh": "优化{where}的商品详情页（主图、评价、价格锚点与库存提示），提升 {n} 个浏览商品会话的加购率。",
        "en": "Improve product pages on {where} (images, reviews, price anchors, stock hints) to turn more of the {n} product views into carts.",
    },
    "diag.funnel.rec.checkout": {
        "zh": "简化{where}的结算流程（减少必填项、展示运费与优惠），降低 {n} 个加购会话的流失。",
        "en": "Simplify checkout on {where} (fewer fields, shipping and discounts shown early) for the {n} visits with a cart.",
    },
    "diag.funnel.rec.pay": {
        "zh": "检查{where}的支付渠道成功率与报错日志，为 {n} 个已下单会话提供备用支付方式。",
        "en": "Check payment success rates and error logs on {where} and offer a fallback payment method to the {n} visits that reached checkout.",
    },
    "diag.funnel.rec.other": {
        "zh": "检查{where}「{step}」环节的体验与技术问题，涉及 {n} 个会话。",
        "en": "Review the {step} step on {where} for experience and technical problems ({n} visits).",
    },
    "diag.cart.title": {
        "zh": "购物车放弃率偏高：{rate}",
        "en": "High cart abandonment: {rate}",
    },
    "diag.cart.rec": {
        "zh": "对 {n} 个未支付的购物车（价值 {value}）在 1 小时和 24 小时发送提醒，并测试限时包邮。",
        "en": "Remind the owners of the {n} abandoned carts (worth {value}) after 1 h and 24 h, and test a time-limited free-shipping offer.",
    },
    "diag.repurchase.title": {
        "zh": "{where}新客 90 天复购率仅 {rate}（其他新客 {overall}）",
        "en": "First-time buyers from {where}: 90-day repurchase only {rate} (other first-time buyers: {overall})",
    },
    "diag.repurchase.rec": {
        "zh": "复核{where}的投放人群与落地页承诺；对其 {n} 名新客在首单后 7/30 天推送复购券，并把预算向复购更高的渠道倾斜。",
        "en": "Review the audience and landing-page promise of {where}; send its {n} first-time buyers a repeat-purchase coupon at 7 and 30 days, and shift budget to channels whose buyers come back.",
    },
    # ---- charts
    "diag.chart.drop_days": {"zh": "异常区间", "en": "drop"},
    "diag.chart.before": {"zh": "此前水平", "en": "before"},
    "diag.chart.during": {"zh": "异常期间", "en": "during"},
    "diag.chart.rate": {"zh": "转化率", "en": "Conversion"},
    "diag.chart.now": {"zh": "本期", "en": "This period"},
    "diag.chart.previous": {"zh": "对比期", "en": "Comparison"},
    "diag.chart.overall": {"zh": "其他客户", "en": "Everyone else"},
    "diag.repurchase.falling.title": {
        "zh": "新客 90 天复购率由 {rate_prev} 降至 {rate}",
        "en": "90-day repurchase of first-time buyers down from {rate_prev} to {rate}",
    },
    "diag.repurchase.falling.rec": {
        "zh": "检查首单体验（履约时效、商品质量、售后），对本期 {n} 名新客建立首单后 7/30/60 天的复购触达。",
        "en": "Check the first-order experience (delivery, product quality, service) and set up 7/30/60-day follow-ups for this period's {n} first-time buyers.",
    },
    "diag.churn.title": {
        "zh": "{where}客户流失率 {rate}，高于其他地区（{rest}）",
        "en": "Churn in {where}: {rate} of last period's customers did not come back (elsewhere {rest})",
    },
    "diag.churn.rec": {
        "zh": "调查{where}客户流失原因（物流时效、区域竞品、服务投诉），对上期购买而本期未回购的 {n} 名客户发放区域专属回归券。",
        "en": "Find out why customers in {where} stop buying (delivery times, local competitors, complaints) and send the {n} customers who did not come back a regional comeback offer.",
    },
    # ---- evidence names
    "diag.evidence.category": {"zh": "品类", "en": "category"},
    "diag.evidence.return_rate": {"zh": "退货率", "en": "return rate"},
    "diag.evidence.rating": {"zh": "平均评分", "en": "mean rating"},
    "diag.evidence.return_rate_prev": {"zh": "上期退货率", "en": "return rate before"},
    "diag.evidence.returned_amount": {"zh": "退货金额", "en": "returned value"},
    "diag.evidence.lines": {"zh": "订单行数", "en": "order lines"},
    "diag.evidence.step": {"zh": "环节", "en": "step"},
    "diag.evidence.start": {"zh": "开始", "en": "from"},
    "diag.evidence.end": {"zh": "结束", "en": "to"},
    "diag.evidence.days": {"zh": "天数", "en": "days"},
    "diag.evidence.rate_before": {"zh": "此前转化率", "en": "rate before"},
    "diag.evidence.rate_during": {"zh": "期间转化率", "en": "rate during"},
    "diag.evidence.rate_after": {"zh": "之后转化率", "en": "rate after"},
    "diag.evidence.relative_drop_share": {"zh": "相对降幅", "en": "relative drop"},
    "diag.evidence.lost_payments": {"zh": "损失的支付笔数", "en": "payments lost"},
    "diag.evidence.also_seen_in": {"zh": "同时可见于", "en": "also seen in"},
    "diag.evidence.rate": {"zh": "本期比率", "en": "rate"},
    "diag.evidence.rate_prev": {"zh": "对比期比率", "en": "rate before"},
    "diag.evidence.entered": {"zh": "进入该环节", "en": "journeys entering"},
    "diag.evidence.buyers": {"zh": "新客数（90 天可观察）", "en": "first-time buyers (observable 90 days)"},
    "diag.evidence.repurchased": {"zh": "已复购", "en": "came back"},
    "diag.evidence.overall_rate": {"zh": "其他客户比率", "en": "everyone else"},
    "diag.evidence.new_buyers_in_period": {"zh": "本期新客", "en": "first-time buyers this period"},
    "diag.evidence.was_active": {"zh": "上期活跃客户", "en": "active last period"},
    "diag.evidence.lost": {"zh": "本期未回购", "en": "did not come back"},
    "diag.evidence.customers_lost_beyond_rest": {"zh": "超出其他地区水平的流失", "en": "lost beyond the rest's rate"},
    "diag.evidence.segment": {"zh": "客户群", "en": "segment"},
    "diag.evidence.customers": {"zh": "本期客户数", "en": "customers now"},
    "diag.evidence.customers_prev": {"zh": "上期客户数", "en": "customers before"},
    "diag.evidence.customers_change_rel": {"zh": "客户数变化", "en": "change in customers"},
    "diag.evidence.share_change_rel": {"zh": "占比变化", "en": "change in share"},
    "diag.evidence.top_customers": {"zh": "前 20% 客户数", "en": "top 20% customers"},
    "diag.evidence.top_share": {"zh": "前 20% 客户 GMV 占比", "en": "top 20% share of GMV"},
    "diag.evidence.top_revenue": {"zh": "前 20% 客户 GMV", "en": "top 20% GMV"},
    "diag.evidence.channel": {"zh": "渠道", "en": "channel"},
    "diag.evidence.spend": {"zh": "投放花费", "en": "spend"},
    "diag.evidence.roi": {"zh": "本期 ROI", "en": "ROI"},
    "diag.evidence.roi_prev": {"zh": "上期 ROI", "en": "ROI before"},
    "diag.evidence.cac": {"zh": "获客成本", "en": "CAC"},
    "diag.evidence.cac_prev": {"zh": "上期获客成本", "en": "CAC before"},
    "diag.evidence.carts": {"zh": "加购会话", "en": "carts"},
    "diag.evidence.abandoned": {"zh": "放弃的购物车", "en": "abandoned carts"},
    "diag.evidence.abandonment_rate": {"zh": "放弃率", "en": "abandonment rate"},
    "diag.evidence.abandonment_rate_prev": {"zh": "上期放弃率", "en": "abandonment rate before"},
    "diag.evidence.abandoned_amount": {"zh": "放弃的购物车价值", "en": "value of abandoned carts"},
}
