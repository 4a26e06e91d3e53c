"""Seed ensembles: several copies of one spec, trained with different seeds, predicting their mean.

One network's test score depends on its seed; the mean of a few independently
trained copies is steadier and usually more accurate. The copies are joined
into one Keras model (an ``Average`` of the members), so prediction, saving
and loading work as for any single model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnkit.models.spec import ModelSpec
from rnnkit.prepare import PreparedData
from rnnkit.progress import CancelToken, ProgressCallback, ProgressEvent
from rnnkit.training import TrainedModel, TrainingConfig, train_model


def train_spec(spec: ModelSpec, prepared: PreparedData, config: TrainingConfig,
               progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
               model_index: int = 0, n_models: int = 1) -> TrainedModel:
    """Train ``spec``: one network, or a seed ensemble of ``spec.ensemble`` networks joined into one model."""
    if spec.ensemble == 1:
        return train_model(spec, prepared, config, progress, cancel, model_index, n_models)
    members: list[TrainedModel] = []
    for k in range(spec.ensemble):
        seed = (config.seed + 1009 * k) % 2**32  # far apart, so members do not share shuffles
        report = member_progress(progress, k, spec.ensemble, config.epochs, members)
        member = train_model(spec, prepared, dataclasses.replace(config, seed=seed), report, cancel,
                             model_index, n_models)
        if member.epochs_run == 0:
            break
        members.append(member)
        if member.status in ("cancelled", "diverged"):
            break
    if not members:
        return train_model(spec, prepared, config, progress, cancel, model_index, n_models)  # reports cancel
    return join(spec, prepared, members)


def member_progress(progress: ProgressCallback | None, k: int, n: int, epochs: int,
                    done: list[TrainedModel]) -> ProgressCallback | None:
    """Copy ``k`` of ``n``'s events as one model's progress: epochs and time counted on from the copies ``done``,
    out of ``n × epochs``; started once (by the first copy) and finished once (by the last)."""
    if progress is None:
        return None
    epochs_before = sum(m.epochs_run for m in done)
    seconds_before = sum(m.train_seconds for m in done)

    def report(event: ProgressEvent) -> None:
        if (event.kind == "started" and k > 0) or (event.kind == "finished" and k < n - 1):
            return
        progress(dataclasses.replace(event, epoch=epochs_before + event.epoch, epochs=n * epochs,
                                     elapsed_s=seconds_before + event.elapsed_s))

    return report


def join(spec: ModelSpec, prepared: PreparedData, members: list[TrainedModel]) -> TrainedModel:
    """One model averaging ``members``: losses and epochs averaged, time summed, the worst status wins."""
    import keras

    inputs = keras.Input(shape=prepared.input_shape, name="window")
    for k, member in enumerate(members):  # every member is built under the spec's name: make them unique
        member.model.name = f"{spec.name}_copy_{k + 1}"
    outputs = [m.model(inputs) for m in members]
    averaged = keras.layers.Average(name="seed_mean")(outputs) if len(outputs) > 1 else outputs[0]
    model = keras.Model(inputs, averaged, name=spec.name)
    history: dict[str, list[float]] = {}
    for key in members[0].history:
        curves = [m.history.get(key, []) for m in members]
        longest = max(len(c) for c in curves)
        history[key] = [float(np.mean([c[i] for c in curves if i < len(c)])) for i in range(longest)]
    statuses = [m.status for m in members]
    status = next((s for s in ("diverged", "cancelled") if s in statuses), statuses[0])
    if len(members) < spec.ensemble and status not in ("diverged", "cancelled"):
        status = "cancelled"
    return TrainedModel(
        spec=spec, model=model, history=history, train_seconds=sum(m.train_seconds for m in members),
        params=int(model.count_params()), epochs_run=round(float(np.mean([m.epochs_run for m in members]))),
        best_epoch=members[0].best_epoch, status=status,
    )
