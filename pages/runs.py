"""Runs: the comparisons stored from this browser, to reopen, compare or delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import job_manager, owner, run_store, show_error
from rnnkit.display import escape_markdown
from rnnkit.errors import RnnkitError
from rnnkit.run_compare import METRICS, available_metrics, metric_changes, same_test_targets, settings_differences
from rnnkit.store import RunStatus

st.title("Runs")
store = run_store()
me = owner()
records = store.list(owner=me)
if store.index_problem:
    st.warning(f"{store.index_problem} The runs it still holds are listed; any that cannot be read are named below.",
               icon=":material/warning:")
deleted = st.session_state.pop("deleted_run", None)  # said once, after the rerun that removed it from the list
if deleted:
    st.success(f"Deleted run {escape_markdown(deleted)} and its saved models.", icon=":material/delete:")
if not records:
    st.info("No stored runs yet: runs you train are saved here automatically.")
    st.stop()
for damaged in (r for r in records if r.damaged):
    st.warning(f"Run {damaged.id} is damaged: {damaged.problem}. Delete it; your other runs are not affected.",
               icon=":material/broken_image:")


def best_rmse(record) -> float | None:
    return record.metrics.get(record.best_model, {}).get("rmse") if record.best_model else None


table = pd.DataFrame([{
    "run": r.id, "date": r.created_at.replace("T", " ")[:16], "status": r.status, "dataset": r.dataset,
    "target": r.target, "models": ", ".join(r.models), "best model": r.best_model,
    "best RMSE": best_rmse(r), "best baseline": r.best_baseline,
} for r in records])
st.dataframe(table, width="stretch", hide_index=True)

by_id = {r.id: r for r in records}
labels = {r.id: f"{r.created_at[:16].replace('T', ' ')} · {r.dataset} · {r.status} · {r.id[-6:]}"  # unique
          for r in records}
st.subheader("Open a run")
chosen = st.selectbox("Run", list(by_id), format_func=labels.get, key="open_run")
running = by_id[chosen].status == RunStatus.RUNNING
c1, c2, c3 = st.columns(3)
if c1.button("Open", key="open_button", type="primary"):
    try:
        st.session_state["result"] = store.load(chosen, owner=me)
        st.session_state["result_run_id"] = chosen
    except RnnkitError as error:  # damaged, still running, or deleted meanwhile: named with the fix
        show_error(error)
    else:
        st.switch_page("pages/predictions.py")
with c2:
    confirm = st.checkbox("Yes, delete this run and its saved models", key=f"confirm_delete_{chosen}",
                          disabled=running)  # one box per run: ticking it for one run never arms the next
    if st.button("Delete", key="delete_button", disabled=running or not confirm):
        try:
            store.delete(chosen, owner=me)
        except RnnkitError as error:  # deleted meanwhile from another tab, or started training meanwhile
            show_error(error)
        else:
            if st.session_state.get("result_run_id") == chosen:
                st.session_state.pop("result", None)
                st.session_state.pop("result_run_id", None)
            st.session_state["deleted_run"] = labels[chosen]
            st.rerun()
    if running:
        st.caption("This run is still training: cancel it on the Train & compare page before deleting it.")

with c3:
    asked = isinstance(by_id[chosen].params.get("request"), dict)
    if st.button("Run again", key="run_again_button", disabled=not asked,
                 help="Queue this comparison again, exactly as it was asked, as a new run." if asked else
                 "This run was stored without its request (an older rnnkit): start it on Train & compare."):
        try:
            again = job_manager().run_again(chosen, me)
        except RnnkitError as error:  # the data snapshot is gone, or too many comparisons are waiting
            show_error(error)
        else:
            st.session_state["picked_job"] = again.id  # Train & compare shows it
            st.switch_page("pages/train.py")

finished = [r.id for r in records if r.status in {RunStatus.FINISHED, RunStatus.CANCELLED} and not r.damaged]
if len(finished) >= 2:
    st.subheader("Compare two runs")
    a, b = st.columns(2)
    first = by_id[a.selectbox("First", finished, format_func=labels.get, key="compare_a")]
    second = by_id[b.selectbox("Second", finished, index=1, format_func=labels.get, key="compare_b")]
    asked = first.params.get("request"), second.params.get("request")
    if same_test_targets(*asked) is False:
        st.warning("These runs were not scored on the same test targets (other data, split, delay or horizon), "
                   "so their metrics cannot be compared directly: compare each run's models with its own "
                   "baselines instead.", icon=":material/warning:")
    differences = settings_differences(*asked)
    if differences:
        st.markdown("**What was asked differently**")
        st.dataframe(pd.DataFrame([vars(d) for d in differences]), width="stretch", hide_index=True,
                     column_config={"setting": "setting", "first": "first run", "second": "second run"})
    elif None in asked:
        st.caption("One of these runs was stored by an older rnnkit, without its settings.")
    elif first.id != second.id:
        st.caption("Both runs were asked exactly the same way: differences below are the training's own noise.")
    choices = available_metrics(first.metrics, second.metrics)
    if choices:
        metric = st.selectbox("Metric", choices, format_func=METRICS.get, key="compare_metric")
        changes = metric_changes(first.metrics, second.metrics, metric)
        unit = changes.attrs["change"]
        st.dataframe(changes.style.format("{:.4f}", subset=["first", "second"], na_rep="")
                     .format("{:+.1f}", subset=["change"], na_rep=""), width="stretch",
                     column_config={"first": f"{METRICS[metric]}, first run",
                                    "second": f"{METRICS[metric]}, second run", "change": f"change ({unit})"})
        st.caption(f"Test {METRICS[metric]} of every model and baseline, in each run's own units; the change is "
                   + ("in percentage points." if unit == "points" else "relative to the first run (negative: the "
                      "second run's error is lower).") + " A blank: that forecaster is in one run only.")
