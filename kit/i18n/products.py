"""The products and baskets section (商品与购物篮分析): keys under ``products.``.

Words as seed 002 and Chinese category managers use them: 销量-利润矩阵 (sales x margin
matrix), 爆款引流款 / 利润贡献款 (shortened to 引流款 / 利润款, with 明星款 and 待优化款 for the
other two quadrants), 退货率-好评率, 关联购买, 交叉销售, 组合套餐, 动销率, 长尾.
"""

TEXT: dict[str, dict[str, str]] = {
    "products.section": {"zh": "商品与购物篮分析", "en": "Products and baskets"},
    "products.intro": {
        "zh": "本章从“人-货-场”中的“货”看店铺：哪些品类和商品带来销售、哪些带来利润（销量-利润矩阵），"
              "销售集中在多少商品上（帕累托/ABC 与动销率），哪些商品退货多、评分低，以及哪些商品常被一起购买，"
              "可用于交叉销售与组合套餐。",
        "en": "This section looks at the goods (货 of 人-货-场): which categories and products bring sales and which "
              "bring profit (the sales x margin matrix), how many products the sales rest on (Pareto / ABC and "
              "sell-through), which products come back often and are rated low, and which are bought together, "
              "for cross-selling and bundles.",
    },
    "products.missing": {
        "zh": "数据缺少 order_items.{column}：{what}未显示。在参数文件的 data.order_items.columns 中映射该列即可补上。",
        "en": "The data has no order_items.{column}: {what} not shown. Map the column under "
              "data.order_items.columns in the params file to add it.",
    },
    "products.missing.product_id": {"zh": "商品层面的矩阵、帕累托/ABC、动销率与商品关联规则",
                                    "en": "the product-level matrix, Pareto / ABC, sell-through and product rules are"},
    "products.missing.unit_cost": {"zh": "毛利率与销量-利润矩阵", "en": "the gross margin and the sales x margin matrix are"},
    "products.missing.returned": {"zh": "退货率", "en": "return rates are"},
    "products.missing.rating": {"zh": "评分", "en": "ratings are"},
    # ---- headings
    "products.h.matrix": {"zh": "销量-利润矩阵", "en": "Sales x margin matrix"},
    "products.h.pareto": {"zh": "帕累托分析与动销率", "en": "Pareto, ABC and sell-through"},
    "products.h.quality": {"zh": "退货率与评分", "en": "Returns and ratings"},
    "products.h.baskets": {"zh": "关联购买与交叉销售", "en": "Market baskets and cross-selling"},
    # ---- quadrants
    "products.quadrant.star": {"zh": "明星款", "en": "Stars"},
    "products.quadrant.traffic": {"zh": "引流款", "en": "Traffic drivers"},
    "products.quadrant.profit": {"zh": "利润款", "en": "Profit makers"},
    "products.quadrant.improve": {"zh": "待优化款", "en": "To improve"},
    "products.quadrant_hint.star": {"zh": "高销售、高毛利：保证库存与曝光", "en": "high sales, high margin: keep them in stock and in view"},
    "products.quadrant_hint.traffic": {"zh": "高销售、低毛利（爆款引流）：用来引流，搭配高毛利商品",
                                       "en": "high sales, low margin: use them to draw traffic, pair them with high-margin items"},
    "products.quadrant_hint.profit": {"zh": "低销售、高毛利（利润贡献）：加大推广", "en": "low sales, high margin: promote them more"},
    "products.quadrant_hint.improve": {"zh": "低销售、低毛利：优化定价与成本，或考虑淘汰",
                                       "en": "low sales, low margin: fix price and cost, or retire them"},
    "products.matrix.method": {
        "zh": "横轴为本期销售额占比，纵轴为毛利率（(销售额 − 成本) ÷ 销售额），气泡大小为订单行数；"
              "虚线为分界：销售额占比 {sales}、毛利率 {margin}（{how}）。",
        "en": "Across: share of the period's sales; up: gross margin ((sales - cost) / sales); bubble size: order "
              "lines. The dashed lines split the quadrants at a sales share of {sales} and a margin of {margin} ({how}).",
    },
    "products.matrix.how.median": {"zh": "所示各项的中位数", "en": "the medians of the items shown"},
    "products.matrix.how.params": {"zh": "参数设定", "en": "set in the params"},
    "products.chart.category_matrix": {"zh": "品类销量-利润矩阵", "en": "Categories: sales x margin"},
    "products.chart.product_matrix": {"zh": "前 {n} 个商品的销量-利润矩阵", "en": "Top {n} products: sales x margin"},
    "products.axis.gmv_share": {"zh": "销售额占比", "en": "share of sales"},
    "products.axis.margin_rate": {"zh": "毛利率", "en": "gross margin"},
    "products.matrix.sentence": {
        "zh": "{star_n} 个明星款贡献 {star_share} 的销售额；引流款 {traffic_n} 个，贡献 {traffic_share}，毛利率低于分界线。",
        "en": "{star_n} stars bring {star_share} of sales; {traffic_n} traffic drivers bring {traffic_share} at a "
              "margin below the line.",
    },
    "products.matrix.top_margin": {
        "zh": "毛利率最高的是{best}（{best_rate}），最低的是{worst}（{worst_rate}）。",
        "en": "{best} has the highest margin ({best_rate}), {worst} the lowest ({worst_rate}).",
    },
    "products.matrix.fall": {
        "zh": "毛利率较对比期变化最大的是{item}：{rate_prev} → {rate}（{change}）。",
        "en": "The largest margin change against the comparison period is {item}'s: {rate_prev} -> {rate} ({change}).",
    },
    "products.matrix.no_margin": {"zh": "数据没有成本（unit_cost），无法计算毛利率。",
                                  "en": "The data has no cost (unit_cost): no gross margin."},
    "products.moves.none": {"zh": "与对比期相比，没有{level}换象限。", "en": "No {level} changed quadrant since the comparison period."},
    "products.moves.some": {"zh": "与对比期相比换象限的：{moves}。", "en": "Changed quadrant since the comparison period: {moves}."},
    "products.moves.item": {"zh": "{item}（{before} → {now}）", "en": "{item} ({before} -> {now})"},
    "products.col.quadrant": {"zh": "象限", "en": "Quadrant"},
    "products.col.items": {"zh": "数量", "en": "Items"},
    "products.col.items_prev": {"zh": "对比期数量", "en": "Items before"},
    "products.col.gmv_share": {"zh": "销售额占比", "en": "Share of sales"},
    "products.col.gmv_share_prev": {"zh": "对比期占比", "en": "Share before"},
    "products.col.hint": {"zh": "建议", "en": "What to do"},
    "products.col.product": {"zh": "商品", "en": "Product"},
    "products.col.category": {"zh": "品类", "en": "Category"},
    "products.col.gmv": {"zh": "销售额", "en": "Sales"},
    "products.col.margin_rate": {"zh": "毛利率", "en": "Margin"},
    "products.col.margin_rate_change": {"zh": "毛利率变化", "en": "Margin change"},
    "products.col.lines": {"zh": "订单行", "en": "Lines"},
    "products.col.return_rate": {"zh": "退货率", "en": "Return rate"},
    "products.col.rating": {"zh": "评分", "en": "Rating"},
    "products.col.gmv_at_risk": {"zh": "超额退货金额", "en": "Excess returns"},
    "products.col.item": {"zh": "品类/商品", "en": "Category / product"},
    "products.col.antecedent": {"zh": "前项（已买）", "en": "Bought"},
    "products.col.consequent": {"zh": "后项（同时买）", "en": "Also bought"},
    "products.col.baskets": {"zh": "订单数", "en": "Baskets"},
    "products.col.support": {"zh": "支持度", "en": "Support"},
    "products.col.confidence": {"zh": "置信度", "en": "Confidence"},
    "products.col.lift": {"zh": "提升度", "en": "Lift"},
    "products.col.lift_prev": {"zh": "对比期提升度", "en": "Lift before"},
    "products.col.prospects": {"zh": "潜在客户", "en": "Prospects"},
    "products.col.value": {"zh": "潜在销售额", "en": "Potential sales"},
    # ---- Pareto
    "products.chart.pareto": {"zh": "商品帕累托曲线", "en": "Pareto curve of the products"},
    "products.axis.product_share": {"zh": "商品占比（按销售额从高到低）", "en": "share of products (by sales, largest first)"},
    "products.axis.cum_share": {"zh": "累计销售额占比", "en": "cumulative share of sales"},
    "products.legend.eighty": {"zh": "80% 销售额", "en": "80% of sales"},
    "products.pareto.sentence": {
        "zh": "本期有销售的 {sold} 个商品中，{a} 个（{share}）贡献了 80% 的销售额（A 类），B 类 {b} 个，"
              "C 类（长尾）{c} 个，长尾贡献 {tail} 的销售额。",
        "en": "Of the {sold} products sold in the period, {a} ({share}) make 80% of sales (class A); class B has "
              "{b}, class C (the long tail) {c}, which bring {tail} of sales.",
    },
    "products.pareto.sell_through": {
        "zh": "动销率（本期有销售的商品 ÷ 截至期末出现过的 {catalogue} 个商品）为 {rate}{change}。",
        "en": "Sell-through (products sold / the {catalogue} products seen up to the period's end) is {rate}{change}.",
    },
    "products.pareto.change": {"zh": "，对比期 {prev}（{pp}）", "en": " ({prev} before, {pp})"},
    # ---- quality
    "products.chart.quality": {"zh": "{level}退货率与评分", "en": "{level}: return rate and rating"},
    "products.level.category": {"zh": "品类", "en": "Categories"},
    "products.level.product_id": {"zh": "商品", "en": "Products"},
    "products.axis.return_rate": {"zh": "退货率", "en": "return rate"},
    "products.axis.rating": {"zh": "平均评分", "en": "mean rating"},
    "products.legend.norm": {"zh": "全店水平", "en": "the shop's norm"},
    "products.legend.flagged": {"zh": "退货高且评分低", "en": "high returns, low rating"},
    "products.quality.norms": {
        "zh": "全店退货率 {rate}、平均评分 {rating}（虚线）；计入本期订单行不少于 {min_lines} 行的{level}，共 {n} 个。",
        "en": "The shop's return rate is {rate} and its mean rating {rating} (dashed); counted: the {n} {level} with "
              "at least {min_lines} order lines in the period.",
    },
    "products.quality.flagged": {
        "zh": "退货率不低于 {rate} 且评分不高于 {rating} 的有 {n} 个，超出全店水平的退货金额合计 {money}，"
              "需排查尺码标注、商品描述与质量。",
        "en": "{n} have a return rate of at least {rate} and a rating of at most {rating}; their returns above the "
              "shop's norm are worth {money}: check sizing, descriptions and quality.",
    },
    "products.quality.none": {
        "zh": "没有退货率不低于 {rate} 且评分不高于 {rating} 的{level}。",
        "en": "No {level} has a return rate of at least {rate} with a rating of at most {rating}.",
    },
    "products.level_word.category": {"zh": "品类", "en": "categories"},
    "products.level_word.product_id": {"zh": "商品", "en": "products"},
    # ---- baskets
    "products.baskets.method": {
        "zh": "一笔支付订单为一个购物篮。支持度 = 同时含 A 和 B 的订单 ÷ 全部订单；置信度 = 同时含 A 和 B 的订单 ÷ 含 A 的订单；"
              "提升度 = 置信度 ÷ 含 B 的订单占比（大于 1 表示比随机更常一起购买）。本期共 {baskets} 个购物篮{skipped}；"
              "规则至少需要 {min_baskets} 个订单和 {min_support} 的支持度，置信度不低于 {min_confidence}。",
        "en": "A basket is one paid order. Support = baskets with A and B / all baskets; confidence = baskets with A "
              "and B / baskets with A; lift = confidence / the share of baskets with B (above 1: bought together more "
              "often than chance). {baskets} baskets in the period{skipped}; a rule needs at least {min_baskets} "
              "baskets and a support of {min_support}, and a confidence of at least {min_confidence}.",
    },
    "products.baskets.skipped": {"zh": "（另有 {n} 个超过 {cap} 种商品的大订单未计入）",
                                 "en": " ({n} orders of more than {cap} items left out)"},
    "products.chart.lift": {"zh": "品类间提升度", "en": "Lift between categories"},
    "products.lift.note": {"zh": "空白：一起购买的订单不足，未形成规则", "en": "blank: too few baskets for a rule"},
    "products.baskets.top": {
        "zh": "关联最强的品类组合是{a}与{b}：买{a}的订单有 {confidence} 同时买{b}，是随机水平的 {lift} 倍（{baskets} 个订单）{prev}。",
        "en": "The strongest pair of categories is {a} and {b}: {confidence} of the baskets with {a} also hold {b}, "
              "{lift} times as often as chance ({baskets} baskets){prev}.",
    },
    "products.baskets.top_prev": {"zh": "，对比期提升度 {lift}", "en": "; the lift was {lift} before"},
    "products.baskets.none": {"zh": "没有品类组合的提升度高于 {lift}：各品类基本独立购买。",
                              "en": "No pair of categories has a lift above {lift}: categories are bought independently."},
    "products.baskets.no_rules": {"zh": "没有达到阈值的关联规则。", "en": "No rule reaches the thresholds."},
    "products.baskets.products": {
        "zh": "在购物篮中出现最多的 {n} 个商品之间，共找到 {rules} 条规则（{pairs} 对商品）；下表每对商品一行（两个方向的"
              "支持度与提升度相同），提升度最高的在前。",
        "en": "Among the {n} products in most baskets, {rules} rules were found ({pairs} pairs of products); the table "
              "shows one row per pair (support and lift are the same both ways), the highest lift first.",
    },
    "products.cross_sell.intro": {
        "zh": "交叉销售机会：对提升度不低于 {lift} 的规则，统计本期买了前项、但从未买过后项的客户，"
              "按规则的置信度估算他们补买后项可带来的销售额（名单随报告提供，见诊断）。",
        "en": "Cross-sell opportunities: for the rules with a lift of at least {lift}, the customers who bought the "
              "antecedent this period but never the consequent, and the sales they would bring buying it at the "
              "rule's confidence (their list comes with the report, see the diagnosis).",
    },
    "products.cross_sell.none": {"zh": "没有提升度不低于 {lift} 的规则，暂无交叉销售机会。",
                                 "en": "No rule has a lift of at least {lift}: no cross-sell opportunity."},
    "products.cross_sell.top": {
        "zh": "最大的机会是向 {n} 位买了{a}、从未买过{b}的客户推荐{b}，按置信度 {confidence} 估算可带来 {money}。",
        "en": "The largest is recommending {b} to the {n} customers who bought {a} but never {b}: at the rule's "
              "confidence of {confidence}, worth {money}.",
    },
}
