"""The diagnosis finds the demo shop's planted stories (kit.demo.STORIES), each among the
top findings of the executive summary, with its dates; the experiment readout reads the two
planted experiments (the email subject's winner, the banner's broken split); and a shop
generated without them gets no finding of high severity and no experiment finding."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from conftest import write_params

from kit.demo import STORIES, generate
from kit.figures import diagnosis, experiments, products, summary
from kit.params import load_params
from kit.run import prepare_run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stories")]
CUSTOMERS = 20_000  # the default demo shop: 东北 is 7% of it, enough customers for its story to be more than chance
EMAIL = next(s for s in STORIES if s["id"] == "email_subject_winner")
SETTINGS = (f"experiments:\n  cuped_lookback_days: 30\n"  # as params/demo.yaml reads the email test
            f"  by_id: {{{EMAIL['where']['experiment']}: {{window_days: {EMAIL['expected']['window_days']}}}}}\n")


def diagnosed(tmp_path, stories: bool):
    shop = tmp_path / "shop"
    generate(shop, customers=CUSTOMERS, stories=stories)
    run = prepare_run(load_params(write_params(tmp_path, shop, SETTINGS))[0], tmp_path / "work")
    return run, diagnosis.findings(run), shop  # findings.json written, as the diagnosis section does


def matches(finding, story) -> bool:
    return all(finding.where.get(k) == v for k, v in story["where"].items())


def test_every_planted_story_is_found_and_in_the_summary(tmp_path):
    run, findings, shop = diagnosed(tmp_path, stories=True)
    top = [f["id"] for f in summary.top_findings(run)]
    for story in STORIES:
        found = [f for f in findings if matches(f, story)]
        assert found, f"story {story['id']} not found; findings: {[f.id for f in findings]}"
        assert found[0].severity == story["expected"].get("severity", "high"), (story["id"], found[0].severity)
        # the summary's top findings are the most money: a broken split has none, a cross-sell opportunity little
        if story["section"] != "experiments" and story["expected"].get("in_summary", True):
            assert found[0].id in top, f"story {story['id']} not in the summary's top findings {top}"
    # each story's money at stake is within 15% of what the generator knows it planted (an experiment's:
    # within the 95% interval of its estimate, which rests on ~1,200 customers)
    truth = {s["id"]: s["money_at_stake"] for s in json.loads((shop / "stories.json").read_text(encoding="utf-8"))}
    for story in STORIES:
        found = next(f for f in findings if matches(f, story))
        planted = truth[story["id"]]
        assert planted["period"] == "2025-Q4"
        if planted["amount"] is None:  # an opportunity (the bundle): no money was planted
            continue
        if story["id"] == "email_subject_winner":
            assert found.evidence["money_low"] <= planted["amount"] <= found.evidence["money_high"], (found.evidence,
                                                                                                       planted)
        else:
            assert found.money_at_stake == pytest.approx(planted["amount"], rel=0.15), (story["id"], planted)
    # the readout behind them: the email's planted lift inside its interval; the banner flagged and still running
    readout = experiments.readout(run, reuse=True)
    email = readout.results.filter((pl.col("experiment_id") == EMAIL["where"]["experiment"])
                                   & (pl.col("metric") == "conversion")).row(0, named=True)
    assert email["verdict"] == "win" and email["lift_low"] <= EMAIL["expected"]["relative_conversion_lift"] <= email["lift_high"]
    banner = readout.experiments.filter(pl.col("experiment_id") == "EXP-HOME-BANNER").row(0, named=True)
    assert not banner["srm_ok"] and banner["status"] == "running" and banner["winner"] is None
    # the bundle: the rule between its two categories at a lift of about 3, both ways
    bundle = next(s for s in STORIES if s["id"] == "baby_books_bundle")
    rules = products.basket_rules(run, reuse=True).rules
    pair = rules.filter((pl.col("antecedent") == bundle["where"]["antecedent"])
                        & (pl.col("consequent") == bundle["where"]["consequent"]))
    assert pair["lift"][0] == pytest.approx(bundle["expected"]["lift"], rel=0.15)
    outage = next(s for s in STORIES if s["id"] == "app_pay_outage")
    (drop,) = [f for f in findings if f.rule == "funnel.dated_drop" and matches(f, outage)]
    for key in ("start", "end"):
        days_off = abs((date.fromisoformat(drop.evidence[key]) - date.fromisoformat(outage[key])).days)
        assert days_off <= 2, f"{key}: found {drop.evidence[key]}, planted {outage[key]}"


def test_a_shop_without_stories_has_no_high_finding(tmp_path):
    run, findings, _ = diagnosed(tmp_path, stories=False)
    assert [f.id for f in findings if f.severity == "high"] == []
    assert [f.id for f in findings if f.rule.startswith("experiment.")] == []
    assert experiments.readout(run, reuse=True).experiments["srm_ok"].all()
    # neither goods' story is there: no category pair bought together beyond chance, no margin fall
    assert [f.id for f in findings if f.rule in ("product.margin", "product.catalogue")] == []
    assert [f.id for f in findings if f.rule == "product.cross_sell" and "level" not in f.where] == []
    assert products.basket_rules(run, reuse=True).rules["lift"].max() < 1.5
