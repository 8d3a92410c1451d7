"""Section 4, diagnosis and recommendations: keys under ``diag.``."""

TEXT: dict[str, dict[str, str]] = {
    "diag.section": {"zh": "问题诊断与优化建议", "en": "Diagnosis and recommendations"},
    "diag.intro": {
        "zh": "以下发现由规则从前三章的数字中得出,按严重程度分组,组内按涉及金额排序。共 {total} 项:高 {high} 项,中 {medium} 项,低 {low} 项。",
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
        "zh": "对{where}流失出「{segment}」的 {n} 名客户做专属回访与限时回归券,并检查该地区的履约与服务体验。",
        "en": "Reach out to the {n} customers who left {segment} ({where}) with a personal win-back offer, and check delivery and service there.",
    },
    "diag.rfm.churned_growth.title": {
        "zh": "{where}「{segment}」客户增加 {change}",
        "en": "{segment} customers up {change} ({where})",
    },
    "diag.rfm.churned_growth.rec": {
        "zh": "对{where}的 {n} 名「{segment}」发放限时回归券,并用短信/推送唤醒;唤醒无效者降低营销频次以控制成本。",
        "en": "Send the {n} {segment} customers ({where}) a time-limited comeback coupon and a reactivation message; stop paid reminders to those who do not respond.",
    },
    "diag.rfm.concentration.title": {
        "zh": "收入集中:前 20% 客户贡献 {share} 的 GMV",
        "en": "Revenue concentration: the top 20% of buyers bring {share} of GMV",
    },
    "diag.rfm.concentration.rec": {
        "zh": "为这 {n} 名核心客户建立专属服务与会员权益以降低流失风险,同时加大对中间层客户的培育,分散收入来源。",
        "en": "Protect these {n} core customers with dedicated service and member benefits, and grow the middle tier to spread revenue.",
    },
    # ---- products and channels
    "diag.product.quality.title": {
        "zh": "「{category}」退货率 {rate}、评分 {rating},明显偏差",
        "en": "{category}: return rate {rate} and rating {rating}",
    },
    "diag.product.quality.rec": {
        "zh": "排查「{category}」的尺码说明、商品描述与质检环节(本期退货金额 {value}),优先处理差评集中的商品。",
        "en": "Review sizing guides, product descriptions and quality checks for {category} (returns worth {value} this period), starting with the worst-rated products.",
    },
    "diag.channel.roi_drop.title": {
        "zh": "渠道「{channel}」ROI 由 {roi_prev} 降至 {roi}",
        "en": "Channel {channel}: ROI down from {roi_prev} to {roi}",
    },
    "diag.channel.roi_drop.rec": {
        "zh": "复核「{channel}」的投放人群与出价(本期花费 {spend}),把预算转向 ROI 更高的渠道。",
        "en": "Review targeting and bids on {channel} (spend {spend} this period) and move budget to channels with a higher ROI.",
    },
}
