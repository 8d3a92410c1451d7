"""Section 3.1-3.2, RFM segments and their profiles: keys under ``rfm.``.

``rfm.segment.<code>`` names each segment code of :mod:`kit.metrics.segments`,
``rfm.action.<code>`` is its suggested action.
"""

_SEGMENTS = {
    # cn8, the classic eight groups
    "important_value": ("重要价值客户", "Important value"),
    "important_develop": ("重要发展客户", "Important to develop"),
    "important_retain": ("重要保持客户", "Important to retain"),
    "important_winback": ("重要挽留客户", "Important to win back"),
    "general_value": ("一般价值客户", "General value"),
    "general_develop": ("一般发展客户", "General to develop"),
    "general_retain": ("一般保持客户", "General to retain"),
    "general_winback": ("一般挽留客户", "General to win back"),
    # rfm-grid, the R x F grid
    "champions": ("冠军客户", "Champions"),
    "loyal": ("忠诚客户", "Loyal"),
    "potential_loyalists": ("潜在忠诚客户", "Potential Loyalists"),
    "new_customers": ("新近客户", "New Customers"),
    "promising": ("有潜力客户", "Promising"),
    "need_attention": ("需要关注", "Need Attention"),
    "about_to_sleep": ("即将沉睡", "About to Sleep"),
    "at_risk": ("流失风险", "At Risk"),
    "cant_lose": ("不能失去", "Can't Lose Them"),
    "hibernating": ("休眠客户", "Hibernating"),
    # kmeans, named by centroid profile
    "km_loyal_high_value": ("高价值忠诚", "High-value loyal"),
    "km_frequent_low_value": ("高频低值", "Frequent, low value"),
    "km_high_value_infrequent": ("高值低频", "High value, infrequent"),
    "km_potential": ("潜力", "Potential"),
    "km_valuable_at_risk": ("高价值流失风险", "Valuable at risk"),
    "km_fading_regulars": ("沉睡常客", "Fading regulars"),
    "km_lapsed_big_spenders": ("沉睡高值", "Lapsed big spenders"),
    "km_churned": ("流失", "Churned"),
    # migration matrix
    "new": ("新客户", "New"),
}

_ACTIONS = {
    "important_value": ("VIP 专属服务与权益，优先新品体验，保持满意度", "VIP service and perks, early access to new products; keep them happy"),
    "important_develop": ("消费额高但频次低：会员积分与复购券提高购买频次", "High spend, few orders: loyalty points and repeat-purchase coupons to raise frequency"),
    "important_retain": ("近期未购的高价值老客：专属关怀与提醒，及时召回", "Valuable regulars gone quiet: personal reminders and care to bring them back now"),
    "important_winback": ("高消费但久未购买且频次低：定向挽回优惠，了解流失原因", "Big spenders long gone: targeted win-back offers; ask why they left"),
    "general_value": ("常买但客单低：搭配推荐与满减提升客单价", "Frequent but low spend: bundles and spend-more-save-more to lift order value"),
    "general_develop": ("新近低值客户：新人引导与首单后复购券", "Recent low-value buyers: onboarding and a second-order coupon"),
    "general_retain": ("常买低值但近期未购：低成本提醒（短信/推送）", "Frequent low spenders gone quiet: low-cost reminders (SMS / push)"),
    "general_winback": ("价值低且已流失：低成本批量触达，控制投入", "Low value and lapsed: low-cost bulk outreach; keep spending small"),
    "champions": ("奖励与专属权益，邀请评价与推荐新客", "Reward them, exclusive perks; ask for reviews and referrals"),
    "loyal": ("会员升级与交叉销售，推荐高价商品", "Membership upgrades and cross-sell; recommend higher-value items"),
    "potential_loyalists": ("会员计划与个性化推荐，培养购买习惯", "Membership offers and personalised recommendations to build the habit"),
    "new_customers": ("新客引导与首单后关怀，尽快促成第二单", "Onboarding and follow-up to win the second order soon"),
    "promising": ("品牌认知与限时优惠，建立信任", "Build awareness and trust with time-limited offers"),
    "need_attention": ("限时个性化优惠，基于历史推荐商品", "Limited-time personalised offers based on past purchases"),
    "about_to_sleep": ("推送热销与相关商品，提醒回访", "Send bestsellers and related products; remind them to come back"),
    "at_risk": ("个性化召回邮件/短信，挽回优惠券", "Personal win-back messages and a win-back coupon"),
    "cant_lose": ("高价值老客流失：一对一联系，大力度挽回", "Valuable customers slipping away: one-to-one contact and a strong win-back offer"),
    "hibernating": ("低成本唤醒，不回应则减少投入", "Low-cost reactivation; stop spending on those who do not respond"),
    "km_loyal_high_value": ("VIP 权益与专属服务，保持忠诚", "VIP perks and service to keep them loyal"),
    "km_frequent_low_value": ("搭配与满减提升客单价", "Bundles and thresholds to lift order value"),
    "km_high_value_infrequent": ("复购提醒与会员权益提高频次", "Repeat reminders and membership perks to raise frequency"),
    "km_potential": ("新客引导与复购券，培养成忠诚客户", "Onboarding and repeat coupons to grow them into loyal customers"),
    "km_valuable_at_risk": ("一对一关怀与挽回优惠，防止流失", "Personal care and win-back offers before they are lost"),
    "km_fading_regulars": ("低成本提醒与常购商品推荐", "Low-cost reminders with their usual products"),
    "km_lapsed_big_spenders": ("定向挽回优惠，了解流失原因", "Targeted win-back offers; ask why they left"),
    "km_churned": ("低成本批量唤醒，控制投入", "Low-cost bulk reactivation; keep spending small"),
}

TEXT: dict[str, dict[str, str]] = {
    "rfm.section": {"zh": "客户价值评估", "en": "Customer value"},
    "rfm.h.profiles": {"zh": "分群画像", "en": "Segment profiles"},
    **{f"rfm.segment.{code}": {"zh": zh, "en": en} for code, (zh, en) in _SEGMENTS.items()},
    **{f"rfm.action.{code}": {"zh": zh, "en": en} for code, (zh, en) in _ACTIONS.items()},
    "rfm.title": {"zh": "客户价值分群（RFM）", "en": "Customer value segments (RFM)"},
    "rfm.method.cn8": {
        "zh": "截至 {as_of}，以全部已支付订单计算每位客户的 R（距最近一次购买的天数）、F（购买次数）、M（消费金额），"
              "按各自{split}分为高低，组合成八类客户。",
        "en": "As of {as_of}, each customer's R (days since the last paid order), F (paid orders) and M (amount paid) "
              "over all paid orders, each split high or low at its {split}, give eight groups.",
    },
    "rfm.method.rfm-grid": {
        "zh": "截至 {as_of}，R、F、M 按排名各打 1-5 分（R 越近分越高，并列同分），按 R × F 网格划分客户群。",
        "en": "As of {as_of}, R, F and M are scored 1-5 by rank (recent = high R, ties share a score); segments "
              "follow the R x F grid.",
    },
    "rfm.method.kmeans": {
        "zh": "截至 {as_of}，对 R、F、M 取对数并标准化后做 K-means 聚类，k={k} 由轮廓系数选出，各簇按中心特征命名。",
        "en": "As of {as_of}, k-means on log-scaled, standardised R, F and M; k={k} chosen by silhouette, each "
              "cluster named from its centre.",
    },
    "rfm.split.mean": {"zh": "均值", "en": "mean"},
    "rfm.split.median": {"zh": "中位数", "en": "median"},
    "rfm.few_levels": {
        "zh": "注意：{score} 只有 {levels} 个不同分值（大量客户取值相同）。",
        "en": "Note: {score} has only {levels} distinct levels (many customers share the same value).",
    },
    "rfm.score.r_score": {"zh": "R 分", "en": "R score"},
    "rfm.score.f_score": {"zh": "F 分", "en": "F score"},
    "rfm.score.m_score": {"zh": "M 分", "en": "M score"},
    # ---- table columns
    "rfm.col.segment": {"zh": "客户群", "en": "Segment"},
    "rfm.col.customers": {"zh": "客户数", "en": "Customers"},
    "rfm.col.share": {"zh": "客户占比", "en": "Share of customers"},
    "rfm.col.revenue_share": {"zh": "消费额占比", "en": "Share of revenue"},
    "rfm.col.mean_recency": {"zh": "平均 R（天）", "en": "Mean R (days)"},
    "rfm.col.mean_frequency": {"zh": "平均 F（单）", "en": "Mean F (orders)"},
    "rfm.col.mean_monetary": {"zh": "平均 M", "en": "Mean M"},
    "rfm.col.aov": {"zh": "客单价", "en": "AOV"},
    "rfm.col.top_categories": {"zh": "主要品类", "en": "Top categories"},
    "rfm.col.action": {"zh": "建议动作", "en": "Suggested action"},
    # ---- charts
    "rfm.chart.sizes": {"zh": "各客户群的客户占比与消费额占比", "en": "Share of customers and of revenue per segment"},
    "rfm.chart.grid": {"zh": "R × F 分布（客户数）", "en": "Customers by R and F score"},
    "rfm.chart.grid_value": {"zh": "R × F 分布（消费额）", "en": "Revenue by R and F score"},
    "rfm.chart.migration": {"zh": "客户群迁移（{before} → {now}）", "en": "Segment migration ({before} -> {now})"},
    "rfm.chart.lorenz": {"zh": "消费额集中度（洛伦兹曲线）", "en": "Revenue concentration (Lorenz curve)"},
    "rfm.axis.share": {"zh": "占比", "en": "Share"},
    "rfm.note.no_score": {"zh": "{score}分为{levels}的客户不存在（排名并列者同分），未显示",
                          "en": "No customer scores {score} = {levels} (ties in rank share a score): not shown"},
    "rfm.axis.r_score": {"zh": "R 分（越高越近）", "en": "R score (higher = more recent)"},
    "rfm.axis.f_score": {"zh": "F 分", "en": "F score"},
    "rfm.axis.from": {"zh": "期初客户群", "en": "Segment at the comparison end"},
    "rfm.axis.to": {"zh": "期末客户群", "en": "Segment at the period end"},
    "rfm.axis.customer_share": {"zh": "客户累计占比（由低到高）", "en": "Cumulative share of customers (lowest first)"},
    "rfm.axis.revenue_share": {"zh": "消费额累计占比", "en": "Cumulative share of revenue"},
    "rfm.legend.customers": {"zh": "客户占比", "en": "Customers"},
    "rfm.legend.revenue": {"zh": "消费额占比", "en": "Revenue"},
    "rfm.legend.equality": {"zh": "完全平均", "en": "Perfect equality"},
    "rfm.legend.top": {"zh": "前 {top} 客户", "en": "Top {top} of customers"},
    # ---- narrative
    "rfm.largest_segment": {
        "zh": "客户最多的是「{segment}」，共 {customers} 人，占 {share}。",
        "en": "The largest segment is {segment} with {customers} customers ({share}).",
    },
    "rfm.top_revenue_segment": {
        "zh": "消费额贡献最大的是「{segment}」：以 {customer_share} 的客户贡献了 {revenue_share} 的消费额。",
        "en": "{segment} brings the most revenue: {revenue_share} of it from {customer_share} of the customers.",
    },
    "rfm.grid_sentence": {
        "zh": "{share} 的客户只购买过一次；R 与 F 均为最高分（5 分）的客户有 {top} 人。",
        "en": "{share} of customers have bought once; {top} customers score 5 on both R and F.",
    },
    "rfm.concentration": {
        "zh": "消费额最高的前 20% 客户（{customers} 人）贡献了本期 {share} 的 GMV。",
        "en": "The top 20% of customers ({customers}) bring {share} of the period's GMV.",
    },
    "rfm.concentration_change": {
        "zh": "上期为 {share_prev}（{change}）。",
        "en": "In the comparison period it was {share_prev} ({change}).",
    },
    "rfm.migration_flow": {
        "zh": "最大的迁移是从「{source}」到「{target}」：{customers} 人（占原「{source}」的 {share}）。",
        "en": "The biggest move is from {source} to {target}: {customers} customers ({share} of {source}).",
    },
    "rfm.migration_other": {
        "zh": "其次：{flows}。",
        "en": "Next: {flows}.",
    },
    "rfm.migration_item": {"zh": "「{source}」→「{target}」{customers} 人", "en": "{source} -> {target} {customers}"},
    "rfm.migration_none": {
        "zh": "两期之间没有客户在客户群之间迁移。",
        "en": "No customer moved between segments between the two dates.",
    },
    "rfm.new_customers": {
        "zh": "期间新增 {customers} 位客户，最多进入「{segment}」（{share}）。",
        "en": "{customers} new customers joined, most of them in {segment} ({share}).",
    },
    "rfm.size_change": {
        "zh": "「{segment}」客户数由 {before} 变为 {now}（{change}）。",
        "en": "{segment} went from {before} to {now} customers ({change}).",
    },
    "rfm.no_comparison": {"zh": "没有对比期，不显示客户群迁移。", "en": "No comparison period: segment migration is not shown."},
    "rfm.no_customers": {"zh": "截至期末没有已支付订单的客户。", "en": "No customer has a paid order by the period end."},
}
