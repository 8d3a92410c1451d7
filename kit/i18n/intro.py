"""The introduction (引言, before section 1), the appendix (附录: glossary and data quality) and
the notes that say which definition of a lost customer a section uses: keys under ``intro.``,
``appendix.`` and ``defs.``."""

TEXT: dict[str, dict[str, str]] = {
    # ---- introduction
    "intro.title": {"zh": "引言", "en": "Introduction"},
    "intro.purpose": {
        "zh": "本报告分析{slice}客户在 {period}（{start} 至 {end}）的表现：客户是谁、如何访问与转化、价值几何，"
              "并诊断问题、给出建议。各项指标与对比期 {comparison}（{comparison_start} 至 {comparison_end}）比较。",
        "en": "This report looks at {slice}customers in {period} ({start} to {end}): who they are, how they visit and "
              "convert, what they are worth, what goes wrong and what to do about it. Every figure is set beside the "
              "comparison period {comparison} ({comparison_start} to {comparison_end}).",
    },
    "intro.purpose_alone": {
        "zh": "本报告分析{slice}客户在 {period}（{start} 至 {end}）的表现：客户是谁、如何访问与转化、价值几何，"
              "并诊断问题、给出建议。本次运行没有对比期，指标不做前后比较。",
        "en": "This report looks at {slice}customers in {period} ({start} to {end}): who they are, how they visit and "
              "convert, what they are worth, what goes wrong and what to do about it. This run has no comparison "
              "period, so no figure is compared with an earlier one.",
    },
    "intro.slice_all": {"zh": "全部", "en": "all "},
    "intro.slice": {"zh": "{slice} 范围内的", "en": "the slice {slice}: its "},
    "intro.h.sources": {"zh": "数据来源", "en": "Data sources"},
    "intro.sources_text": {
        "zh": "下表为本次运行读取并使用的数据：每张表的行数和时间范围（已去重并按范围筛选）。",
        "en": "The data this run read and used: each table's rows and dates (duplicates removed, cut to the slice).",
    },
    "intro.h.definitions": {"zh": "主要定义", "en": "Definitions used"},
    "intro.definitions_text": {
        "zh": "报告中的客户与订单按以下口径计算；全部指标的公式与数据质量说明见附录。",
        "en": "Customers and orders are counted as follows; every metric's formula and the data-quality notes are in the appendix.",
    },
    "intro.col.table": {"zh": "数据表", "en": "Table"},
    "intro.col.source": {"zh": "来源", "en": "Source"},
    "intro.col.rows": {"zh": "行数", "en": "Rows"},
    "intro.col.first": {"zh": "起", "en": "From"},
    "intro.col.last": {"zh": "止", "en": "To"},
    "intro.notes": {"zh": "说明：{notes}。", "en": "Notes: {notes}."},
    "intro.note_item": {"zh": "{table}{note}", "en": "{table}: {note}"},
    "intro.note_sep": {"zh": "；", "en": "; "},
    "intro.table.orders": {"zh": "订单", "en": "orders"},
    "intro.table.customers": {"zh": "客户", "en": "customers"},
    "intro.table.order_items": {"zh": "订单明细", "en": "order lines"},
    "intro.table.events": {"zh": "行为事件", "en": "events"},
    "intro.table.sessions": {"zh": "会话", "en": "sessions"},
    "intro.table.marketing_spend": {"zh": "投放", "en": "marketing spend"},
    "intro.source.database": {"zh": "数据库 {what}", "en": "database {what}"},
    "intro.source.query": {"zh": "查询", "en": "query"},
    "intro.source.derived": {"zh": "由行为事件生成", "en": "made from the events"},
    "intro.note.orders": {"zh": "的日期为下单时间", "en": "dates are order times"},
    "intro.note.customers": {"zh": "的日期为注册日期", "en": "dates are sign-up dates"},
    "intro.note.order_items": {"zh": "的日期为所属订单的下单时间", "en": "dates are their orders' times"},
    "intro.note.events": {
        "zh": "只读取对比期开始至本期结束（另加 {hours} 小时购物车窗口）的部分",
        "en": "only those from the comparison period's start to the period's end (plus the {hours}-hour cart window) are read",
    },
    "intro.note.sessions": {
        "zh": "由行为事件生成，同一访客事件间隔超过 {minutes} 分钟即为新会话",
        "en": "made from the events, a gap of more than {minutes} minutes starting a new one"},
    "intro.note.marketing_spend": {"zh": "的日期为投放日期", "en": "dates are the days of the spend"},
    # ---- appendix
    "appendix.title": {"zh": "附录", "en": "Appendix"},
    "appendix.h.glossary": {"zh": "指标释义", "en": "Metric glossary"},
    "appendix.glossary_text": {
        "zh": "报告中每个指标与比率的定义和公式（参数取本次运行的设置）。",
        "en": "The definition and formula of every metric and rate in the report (with this run's parameters).",
    },
    "appendix.h.quality": {"zh": "数据质量说明", "en": "Data quality"},
    "appendix.quality_text": {
        "zh": "本次使用的数据的计数：各表行数、缺失值、订单状态与对不上的记录。缺失的属性在图表中显示为“未知”。",
        "en": "Counts of the data this run used: rows per table, missing values, order statuses and records that do "
              "not match. A missing attribute shows as \u201cunknown\u201d in the charts.",
    },
    "appendix.col.table": {"zh": "数据表", "en": "Table"},
    "appendix.col.check": {"zh": "计数项", "en": "Count of"},
    "appendix.col.count": {"zh": "数量", "en": "Count"},
    "appendix.col.share": {"zh": "占比", "en": "Share"},
    "appendix.check.rows": {"zh": "行数", "en": "rows"},
    "appendix.check.missing": {"zh": "{column} 缺失", "en": "{column} missing"},
    "appendix.check.status": {"zh": "状态为 {status}", "en": "status {status}"},
    "appendix.check.no_customer": {"zh": "客户不在客户表中", "en": "customer not in the customers table"},
    "appendix.check.anonymous": {"zh": "匿名访客的事件（无客户 ID）", "en": "events of anonymous visitors (no customer id)"},
    "appendix.check.event": {"zh": "事件 {event}", "en": "event {event}"},
    "appendix.check.returned": {"zh": "已退货的订单行", "en": "returned lines"},
    "appendix.check.rated": {"zh": "有评分的订单行", "en": "rated lines"},
    "appendix.h.notes": {"zh": "加载时的提示", "en": "Notes from loading"},
    "appendix.notes_none": {"zh": "加载数据时没有警告或提示。", "en": "Loading the data raised no warning or note."},
    # ---- which definition of a lost customer a section uses (kit.narrative.definitions)
    "defs.lifecycle": {
        "zh": "口径：这里的“已流失”按最近一次购买计，期末时已满 {churn_days} 天未购买（“流失风险”为 {at_risk_days} 至 {churn_days} 天），占 {share}；摘要中的流失率（KPI）指对比期购买、本期未再购买的客户占比（{kpi}），两者口径不同。",
        "en": "Definition: \u201cchurned\u201d here goes by the last purchase: no paid order for {churn_days} days or more at the period end (at risk: {at_risk_days} to {churn_days} days), {share} of customers. The summary's churn rate (KPI) is the share of the comparison period's buyers who did not buy in this one ({kpi}): a different measure.",
    },
    "defs.lifecycle_alone": {
        "zh": "口径：这里的“已流失”按最近一次购买计，期末时已满 {churn_days} 天未购买（“流失风险”为 {at_risk_days} 至 {churn_days} 天），占 {share}；流失率（KPI）需要对比期，本次没有。",
        "en": "Definition: \u201cchurned\u201d here goes by the last purchase: no paid order for {churn_days} days or more at the period end (at risk: {at_risk_days} to {churn_days} days), {share} of customers. The churn rate (KPI) needs a comparison period, which this run has not.",
    },
    "defs.alive": {
        "zh": "存活概率是 BG/NBD 模型估计的概率，不是流失口径：按生命周期阶段，“已流失”客户的平均存活概率为 {churned}，“活跃”客户为 {active}（下表并列两种口径）。",
        "en": "Probability alive is the BG/NBD model's estimate, not a churn definition: by lifecycle stage, \u201cchurned\u201d customers have a mean probability alive of {churned} and \u201cactive\u201d ones {active} (the table puts the two side by side).",
    },
    "defs.col.stage": {"zh": "生命周期阶段", "en": "Lifecycle stage"},
    "defs.col.definition": {"zh": "阶段定义（按最近一次购买）", "en": "Stage definition (by the last purchase)"},
    "defs.col.customers": {"zh": "客户数", "en": "Customers"},
    "defs.col.mean_p_alive": {"zh": "平均存活概率", "en": "Mean probability alive"},
    "defs.col.likely_alive_share": {"zh": "存活概率 ≥ 50% 的占比", "en": "Share with probability alive ≥ 50%"},
}
