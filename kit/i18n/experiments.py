"""The experiment readout (A/B测试): keys under ``exp.``, and the diagnosis' experiment findings
(``diag.experiment.``, their evidence names, reference, formula and assumption)."""

TEXT: dict[str, dict[str, str]] = {
    "exp.section": {"zh": "A/B 测试", "en": "Experiments (A/B tests)"},
    "exp.intro": {
        "zh": "本节逐一解读本期有曝光的实验：先检查实际分流是否符合计划（样本比例检验，SRM），再把每个版本与对照组逐项指标比较，"
              "给出 95% 置信区间、p 值与判定，并用 CUPED（曝光前的同一指标）降低方差；分群结果仅供参考，不改变整体结论。",
        "en": "Each experiment with exposures in the period, read as a growth team reads it: the sample ratio check "
              "first, then every variant against the control on each metric, with its 95% interval, p-value and "
              "verdict, CUPED using each unit's value before exposure; segment results are exploratory and never "
              "override the overall verdict.",
    },
    "exp.none": {"zh": "本期没有实验曝光，无需解读。", "en": "No experiment exposed units in the period."},
    "exp.overview": {
        "zh": "实验 {id}：{start} 至 {end}，共 {units} 个用户各自只看到一个版本；计划分流 {planned}，实际 {actual}。"
              "主要指标为{metric}（曝光后 {window}内）。",
        "en": "Experiment {id}: from {start} to {end}, {units} units each saw one variant; planned split {planned}, "
              "actual {actual}. Primary metric: {metric} (within {window} of exposure).",
    },
    "exp.window": {"zh": "{n} 天", "en": "{n} days"},
    "exp.split_part": {"zh": "{variant} {share}", "en": "{variant} {share}"},
    "exp.srm.ok": {"zh": "样本比例检验通过（χ² 检验 p = {p}）。", "en": "The sample ratio check passes (chi-square p = {p})."},
    "exp.srm.title": {"zh": "样本比例不匹配（SRM）：以下结果不可信", "en": "Sample ratio mismatch: the results below cannot be trusted"},
    "exp.srm.fail": {
        "zh": "计划分流 {planned}，实际 {actual}（χ² 检验 p {p}，低于 {alpha}）。分流或曝光记录有问题，版本之间不可比："
              "请先排查分流逻辑与埋点，修复后重新实验。",
        "en": "Planned {planned}, actual {actual} (chi-square p {p}, below {alpha}). The assignment or the exposure "
              "logging is broken and the variants are not comparable: find and fix the cause, then run the test again.",
    },
    "exp.srm.badge": {"zh": "警告", "en": "Warning"},
    "exp.result": {
        "zh": "「{variant}」对比对照「{control}」：{metric} {value}，对照为 {control_value}，相对差异 {lift}"
              "（95% 置信区间 {low} 至 {high}，{method}，{p}）。判定：{verdict}{untrusted}。",
        "en": "{variant} against the control {control}: {metric} {value} against {control_value}, a relative "
              "difference of {lift} (95% interval {low} to {high}; {method}; {p}). Verdict: {verdict}{untrusted}.",
    },
    "exp.p": {"zh": "p {p}", "en": "p {p}"},
    "exp.p_adjusted": {"zh": "{method} 校正后 p {p}", "en": "{method}-adjusted p {p}"},
    "exp.untrusted": {"zh": "（样本比例检验未通过，该结论不可信）", "en": " (the sample ratio check failed: it cannot be trusted)"},
    "exp.mde": {
        "zh": "当前样本量下可检出的最小相对效应为 {mde}（α = {alpha}，检验力 {power}）",
        "en": "At this sample the test detects relative effects of {mde} or more (alpha {alpha}, power {power})",
    },
    "exp.mde.ok": {"zh": "，不高于计划的 {target}。", "en": ", within the planned {target}."},
    "exp.mde.under": {
        "zh": "，高于计划的 {target}：样本不足，“无显著差异”不等于没有效果，需要更多样本才能下结论。",
        "en": ", above the planned {target}: the test is underpowered, and no significant difference does not mean "
              "no effect; it needs more units to conclude.",
    },
    "exp.mde.significant": {"zh": "。", "en": "."},
    "exp.cuped": {
        "zh": "CUPED 用每个用户曝光前 {days} 天的同一指标做校正，方差降低 {reduction}。",
        "en": "CUPED adjusts each unit by the same metric over the {days} days before exposure, reducing the "
              "variance by {reduction}.",
    },
    "exp.others": {
        "zh": "其他指标见下表（收入与订单为每个曝光用户的均值，客单价为窗口内收入 ÷ 订单数，用 Delta 方法）。",
        "en": "The other metrics are in the table (revenue and orders per exposed unit; order value is revenue / "
              "orders within the windows, by the delta method).",
    },
    "exp.guard.multiple": {
        "zh": "{n} 个用户看到了不止一个版本（占 {share}），已从分析中排除{warn}。",
        "en": "{n} units saw more than one variant ({share}) and are left out{warn}.",
    },
    "exp.guard.multiple_warn": {"zh": "；超过 {limit}，请检查分流是否稳定", "en": "; more than {limit}: check that assignment is sticky"},
    "exp.guard.no_multiple": {"zh": "没有用户看到不止一个版本。", "en": "No unit saw more than one variant."},
    "exp.guard.refunds": {
        "zh": "收入已扣除退款：观察窗口内 {n} 笔退款订单（{amount}）未计入。",
        "en": "Revenue is net of refunds: {n} refunded orders in the windows ({amount}) are not counted.",
    },
    "exp.guard.no_refunds": {"zh": "观察窗口内没有退款订单。", "en": "No order in the windows was refunded."},
    "exp.guard.unlinked": {
        "zh": "{n} 个访客从未登录、无法关联到客户，计为未购买。",
        "en": "{n} visitors never logged in and cannot be linked to a customer; they count as not buying.",
    },
    "exp.status.running": {
        "zh": "实验仍在进行（最近一次曝光 {last}），{open} 个用户的观察窗口尚未结束：结果还可能变化，请在实验结束后再做决定。",
        "en": "The experiment is still running (last exposure {last}) and {open} units' windows are still open: "
              "the result may still move; decide once it ends.",
    },
    "exp.status.concluded": {"zh": "实验已结束（最后一次曝光 {last}）。", "en": "The experiment has ended (last exposure {last})."},
    "exp.segments.intro": {
        "zh": "分群结果（{cuts}；{method} 校正，每组至少 {n} 个用户才检验）仅供参考，不改变整体结论。",
        "en": "Segment results ({cuts}; {method}-adjusted, tested from {n} units per arm) are exploratory and do not "
              "change the overall verdict.",
    },
    "exp.segments.top": {
        "zh": "校正后最显著的分群是「{cut}：{segment}」（{variant} 相对差异 {lift}，校正后 p {p}）。",
        "en": "The clearest after adjustment is {cut} {segment} ({variant}: {lift}, adjusted p {p}).",
    },
    "exp.segments.none": {"zh": "没有分群在校正后显著。", "en": "No segment is significant after adjustment."},
    "exp.daily": {
        "zh": "图为按曝光日期累计的{metric}相对差异及其 95% 置信区间：区间稳定地离开 0 线，差异才可靠。",
        "en": "The chart shows the relative difference in {metric}, cumulated by exposure date, with its 95% interval: "
              "only an interval that settles away from zero shows a reliable difference.",
    },
    # ------------------------------------------------------------------ labels
    "exp.verdict.win": {"zh": "胜出", "en": "wins"},
    "exp.verdict.lose": {"zh": "落后", "en": "loses"},
    "exp.verdict.flat": {"zh": "无显著差异", "en": "no significant difference"},
    "exp.metric.conversion": {"zh": "转化率", "en": "conversion"},
    "exp.metric.revenue": {"zh": "人均收入", "en": "revenue per unit"},
    "exp.metric.orders": {"zh": "人均订单数", "en": "orders per unit"},
    "exp.metric.order_value": {"zh": "客单价", "en": "order value"},
    "exp.metric.repurchase": {"zh": "复购率", "en": "repurchase"},
    "exp.metric.step": {"zh": "到达「{step}」的比例", "en": "share reaching {step}"},
    "exp.method.welch": {"zh": "Welch t 检验", "en": "Welch's t-test"},
    "exp.method.delta": {"zh": "Delta 方法", "en": "delta method"},
    "exp.method.welch_lift": {"zh": "Welch t 检验，相对差异用 Delta 方法", "en": "Welch's t; the lift by the delta method"},
    "exp.correction.holm": {"zh": "Holm", "en": "Holm"},
    "exp.correction.bh": {"zh": "Benjamini-Hochberg", "en": "Benjamini-Hochberg"},
    "exp.correction.none": {"zh": "未", "en": "un"},
    "exp.cut.device": {"zh": "设备", "en": "device"},
    "exp.cut.visitor": {"zh": "新老客", "en": "new vs returning"},
    "exp.cut.region": {"zh": "地区", "en": "region"},
    "exp.visitor.new": {"zh": "新客", "en": "new"},
    "exp.visitor.returning": {"zh": "老客", "en": "returning"},
    "exp.col.metric": {"zh": "指标", "en": "Metric"},
    "exp.col.variant": {"zh": "版本", "en": "Variant"},
    "exp.col.units": {"zh": "用户（版本/对照）", "en": "Units (variant / control)"},
    "exp.col.values": {"zh": "本版本 / 对照", "en": "Variant / control"},
    "exp.col.diff": {"zh": "绝对差异（95% 区间）", "en": "Difference (95% interval)"},
    "exp.col.lift": {"zh": "相对差异（95% 区间）", "en": "Lift (95% interval)"},
    "exp.col.p": {"zh": "p 值（校正后）", "en": "p (adjusted)"},
    "exp.col.verdict": {"zh": "判定", "en": "Verdict"},
    "exp.col.verdict_mde": {"zh": "判定（最小可检出效应）", "en": "Verdict (minimum detectable effect)"},
    "exp.verdict_mde": {"zh": "{verdict}（可检出 ≥{mde}）", "en": "{verdict} (MDE {mde})"},
    "exp.col.cut": {"zh": "分群维度", "en": "Cut"},
    "exp.col.segment": {"zh": "分群", "en": "Segment"},
    "exp.interval": {"zh": "{value}（{low}～{high}）{unit}", "en": "{value} ({low} to {high}) {unit}"},
    "exp.unit.days": {"zh": "天", "en": "days"},
    "exp.chart.cumulative": {"zh": "累计相对差异（95% 置信区间）", "en": "Cumulative relative difference (95% interval)"},
    "exp.chart.x": {"zh": "曝光日期", "en": "Exposure date"},
    "exp.chart.y": {"zh": "{metric}相对差异", "en": "Relative difference in {metric}"},
    "exp.chart.vs": {"zh": "{variant} 对比 {control}", "en": "{variant} vs {control}"},
    # ------------------------------------------------------------------ diagnosis findings
    "diag.experiment.rollout.title": {
        "zh": "实验「{name}」：版本「{variant}」{metric}胜出（相对提升 {lift}），建议全量上线",
        "en": "Experiment {name}: variant {variant} wins on {metric} ({lift}); roll it out",
    },
    "diag.experiment.rollout.rec": {
        "zh": "把「{variant}」推广到全部流量（本期仍有 {n} 个用户在其他版本），上线后按同一指标持续监控两周，确认提升保持。",
        "en": "Roll {variant} out to all traffic ({n} units were still on other variants this period) and watch the "
              "same metric for two weeks to confirm the lift holds.",
    },
    "diag.experiment.rollout.audience": {"zh": "尚未使用「{variant}」的 {n} 个用户", "en": "the {n} units not yet on {variant}"},
    "diag.experiment.rollout.lever": {"zh": "全量上线胜出版本「{variant}」", "en": "roll the winner {variant} out to everyone"},
    "diag.experiment.rollout.target": {"zh": "{metric}达到 {rate}", "en": "{metric} at {rate}"},
    "diag.experiment.rollout.measure": {
        "zh": "上线后用同一口径比较上线前后的{metric}（或保留 5% 对照组持续观察）",
        "en": "compare {metric} before and after the rollout on the same definition (or keep a 5% holdout)",
    },
    "diag.experiment.srm.title": {
        "zh": "实验「{name}」分流异常：计划 {planned}，实际 {actual}，结果不可信",
        "en": "Experiment {name}: planned split {planned}, actual {actual}; the result cannot be trusted",
    },
    "diag.experiment.srm.rec": {
        "zh": "暂停依据该实验做决策；排查分流逻辑（哈希、缓存、重定向）与曝光埋点（各版本的记录时机与丢失率），修复后重新实验。",
        "en": "Take no decision on this experiment; check the assignment (hashing, caching, redirects) and the "
              "exposure logging (when each variant logs, and what it loses), then run the test again.",
    },
    "diag.experiment.srm.audience": {"zh": "该实验的 {n} 个用户", "en": "the experiment's {n} units"},
    "diag.experiment.srm.lever": {"zh": "修复分流与曝光记录后重新实验", "en": "fix the assignment and the exposure logging, then rerun"},
    "diag.experiment.srm.target": {"zh": "样本比例检验 p ≥ {alpha}", "en": "sample ratio check p >= {alpha}"},
    "diag.experiment.srm.measure": {"zh": "重新实验后的样本比例检验", "en": "the sample ratio check of the rerun"},
    "diag.short.experiment.rollout": {"zh": "「{name}」的胜出版本", "en": "the winner of {name}"},
    "diag.short.experiment.srm": {"zh": "「{name}」的分流异常", "en": "the broken split of {name}"},
    "diag.formula.experiment.rollout": {
        "zh": "本期未使用胜出版本的用户数 × （胜出版本{metric} − 其{metric}） × 每笔支付的价值（实验窗口内客单价）",
        "en": "units of the period not on the winner x (the winner's {metric} - theirs) x the value of one payment "
              "(the order value within the experiment's windows)",
    },
    "diag.formula.experiment.rollout.revenue": {
        "zh": "本期未使用胜出版本的用户数 × （胜出版本人均收入 − 其人均收入）",
        "en": "units of the period not on the winner x (the winner's revenue per unit - theirs)",
    },
    "diag.formula.experiment.srm": {"zh": "数据问题，不计金额", "en": "a data problem: no amount"},
    "diag.ref.winning_variant": {"zh": "胜出版本「{label}」的水平 {value}", "en": "the winning variant {label}: {value}"},
    "diag.assumption.rollout": {
        "zh": "上线后保持实验中观察到的提升的 {share}",
        "en": "{share} of the lift seen in the test holds once rolled out",
    },
    "diag.evidence.experiment": {"zh": "实验", "en": "experiment"},
    "diag.evidence.variant": {"zh": "版本", "en": "variant"},
    "diag.evidence.control": {"zh": "对照版本", "en": "control"},
    "diag.evidence.metric": {"zh": "指标", "en": "metric"},
    "diag.evidence.control_value": {"zh": "对照组水平", "en": "control level"},
    "diag.evidence.variant_value": {"zh": "胜出版本水平", "en": "winner's level"},
    "diag.evidence.lift": {"zh": "相对提升", "en": "lift"},
    "diag.evidence.lift_interval": {"zh": "相对提升 95% 区间", "en": "lift, 95% interval"},
    "diag.evidence.p_adjusted": {"zh": "校正后 p 值", "en": "adjusted p"},
    "diag.evidence.units_not_on_winner": {"zh": "本期未使用胜出版本的用户", "en": "units of the period not on the winner"},
    "diag.evidence.money_low": {"zh": "涉及金额下限（95%）", "en": "money at stake, low (95%)"},
    "diag.evidence.money_high": {"zh": "涉及金额上限（95%）", "en": "money at stake, high (95%)"},
    "diag.evidence.planned_split": {"zh": "计划分流", "en": "planned split"},
    "diag.evidence.actual_split": {"zh": "实际分流", "en": "actual split"},
    "diag.evidence.srm_p": {"zh": "样本比例检验 p 值", "en": "sample ratio check p"},
    "diag.evidence.experiment_units": {"zh": "实验用户数", "en": "units in the test"},
    "diag.evidence.status": {"zh": "状态", "en": "status"},
    "exp.status_word.running": {"zh": "进行中", "en": "running"},
    "exp.status_word.concluded": {"zh": "已结束", "en": "concluded"},
}
