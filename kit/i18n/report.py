"""Report shell, executive summary, KPI cards, changes and notes."""

TEXT: dict[str, dict[str, str]] = {
    # ---- report shell
    "report.toc": {"zh": "目录", "en": "Contents"},
    "report.period": {"zh": "报告期", "en": "Period"},
    "report.comparison": {"zh": "对比期", "en": "Compared with"},
    "report.slice": {"zh": "范围", "en": "Slice"},
    "report.all_data": {"zh": "全部数据", "en": "all data"},
    "report.generated_at": {"zh": "生成时间", "en": "Generated"},
    "report.kit_version": {"zh": "工具版本", "en": "Kit version"},
    "report.fingerprint": {"zh": "数据指纹", "en": "Data fingerprint"},
    # punctuation the code puts between generated parts (zh: full width, GB/T 15834)
    "report.list_sep": {"zh": "、", "en": ", "},
    "report.colon": {"zh": "：", "en": ": "},
    "report.name_value": {"zh": "{name}：{value}", "en": "{name}: {value}"},
    "report.unit.pp": {"zh": "个百分点", "en": " pp"},  # after a signed number of percentage points
    "report.flat": {"zh": "持平", "en": "flat"},  # a change that rounds to zero (+0.0%, +0.0 pp)
    "report.quality_title": {"zh": "附录：数据质量", "en": "Appendix: data quality"},
    "report.quality_none": {"zh": "未发现数据质量问题。", "en": "No data-quality problems found."},
    "report.quality_level": {"zh": "级别", "en": "Level"},
    "report.quality_table": {"zh": "数据表", "en": "Table"},
    "report.quality_check": {"zh": "检查项", "en": "Check"},
    "report.quality_count": {"zh": "行数", "en": "Rows"},
    "report.quality_message": {"zh": "说明", "en": "Details"},
    "report.page": {"zh": "第 {page} 页 / 共 {pages} 页", "en": "Page {page} of {pages}"},
    "report.default_title": {"zh": "客户分析报告", "en": "Customer analysis report"},
    "report.index_title": {"zh": "已发布的报告", "en": "Published reports"},
    "report.no_comparison": {"zh": "无对比期", "en": "no comparison"},
    # ---- summary / KPI cards
    "summary.title": {"zh": "摘要", "en": "Executive summary"},
    "summary.kpis": {"zh": "核心指标", "en": "Key figures"},
    "summary.findings": {"zh": "主要发现", "en": "Top findings"},
    "summary.findings_pending": {"zh": "诊断章节尚未运行，暂无发现。", "en": "The diagnosis section has not run: no findings yet."},
    "kpi.active_customers": {"zh": "活跃客户", "en": "Active customers"},
    "kpi.new_customers": {"zh": "新客户", "en": "New customers"},
    "kpi.paid_orders": {"zh": "支付订单", "en": "Paid orders"},
    "kpi.gmv": {"zh": "GMV", "en": "GMV"},
    "kpi.aov": {"zh": "客单价", "en": "AOV"},
    "kpi.visit_to_pay": {"zh": "访问-支付转化率", "en": "Visit-to-pay conversion"},
    "kpi.repurchase_rate": {"zh": "复购率", "en": "Repurchase rate"},
    "kpi.churn_rate": {"zh": "流失率", "en": "Churn rate"},
    "kpi.vs_prev": {"zh": "较上期", "en": "vs previous"},
    "kpi.summary_sentence": {
        "zh": "{period} GMV {gmv}，{gmv_change}；支付订单 {orders} 笔，活跃客户 {active} 人，客单价 {aov}。",
        "en": "In {period} GMV was {gmv} ({gmv_change}) from {orders} paid orders by {active} active customers; AOV {aov}.",
    },
    "change.up": {"zh": "较上期增长 {value}", "en": "up {value} on the previous period"},
    "change.down": {"zh": "较上期下降 {value}", "en": "down {value} on the previous period"},
    "change.flat": {"zh": "与上期持平", "en": "flat on the previous period"},
    "change.none": {"zh": "无对比数据", "en": "no comparison"},
    "group.unknown": {"zh": "未知", "en": "unknown"},
    # ---- notes
    "note.missing_table": {
        "zh": "本部分需要 {table} 表，本次运行的数据中没有，已跳过。在参数文件的 data.{table} 下提供该表即可显示。",
        "en": "This part needs the {table} table, which this run's data does not have, so it is skipped. Add it under data.{table} in the params file to show it.",
    },
    "note.missing_column": {
        "zh": "本部分需要 {columns} 列，当前数据中没有，已跳过。在数据中提供该列，或在参数文件中用 data.{table}.columns 映射您的列名即可显示。",
        "en": "This part needs {columns}, which the data does not have, so it is skipped. Provide the column, or map yours with data.{table}.columns in the params file, to show it.",
    },
    "note.missing_comparison": {
        "zh": "本部分需要对比期，本次运行未设对比期（comparison: none），已跳过。",
        "en": "This part compares with an earlier period, and this run has none (comparison: none), so it is skipped.",
    },
    "note.small_sample": {
        "zh": "样本较小（仅 {n} 个{unit}），数字波动较大，请谨慎解读。",
        "en": "Small sample (only {n} {unit}): figures are noisy, read them with care.",
    },
    "unit.customers": {"zh": "客户", "en": "customers"},
    "unit.sessions": {"zh": "会话", "en": "sessions"},
    "unit.orders": {"zh": "订单", "en": "orders"},
    # ---- tables and findings (kit.display)
    "table.more_rows": {"zh": "另有 {n} 行未显示。", "en": "{n} more rows not shown."},
    "sev.high": {"zh": "高", "en": "high"},
    "sev.medium": {"zh": "中", "en": "medium"},
    "sev.low": {"zh": "低", "en": "low"},
    "finding.money_at_stake": {"zh": "涉及金额", "en": "money at stake"},
    "finding.evidence": {"zh": "证据", "en": "Evidence"},
    "finding.recommendations": {"zh": "建议", "en": "Recommendations"},
    "finding.none": {"zh": "未发现需要关注的问题。", "en": "No problems found."},
}
