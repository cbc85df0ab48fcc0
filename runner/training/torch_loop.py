"""The PyTorch loop: tensors stay on the device, batches are index slices of a seeded permutation.

Metrics match Keras' definitions: `loss` and `accuracy` are sample-weighted means over the
epoch's training batches (model in train mode), `val_*` come from the held-out samples in eval mode.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from runner.training.devices import torch_device
from runner.training.errors import TrainingError
from runner.training.history import History
from runner.training.plan import Plan, batch_bounds, seed_python_and_numpy
from runner.training.targets import INDEX, encode_targets

EVAL_BATCH = 512  # evaluation holds no gradients, so bigger batches are safe and faster


def _unpack_optimizer(result: Any) -> tuple[Any, Any]:
    if isinstance(result, tuple) and len(result) == 2:
        return result
    return result, None  # a bare optimizer: tolerated, no schedule


def _predicted(out: Any, kind: str, threshold: float) -> Any:
    """The class each output row predicts (what accuracy compares with the labels);
    `threshold` is 0.5 on a sigmoid's output, 0.0 on its logits."""
    if kind == "binary":
        return (out.reshape(len(out), -1)[:, 0] > threshold).long()
    return out.argmax(dim=-1)


def _head(module: Any, model: Any) -> tuple[Any, Any, float]:
    """What a batch goes through and the loss it is scored by: the model's logits and
    build_logits_loss() when the module offers both (softmax/sigmoid outputs: exact and
    cheaper), else the model's output and build_loss()."""
    if callable(getattr(module, "build_logits_loss", None)) and callable(getattr(model, "logits", None)):
        return model.logits, module.build_logits_loss(), 0.0
    return model, module.build_loss(), 0.5


def run(plan: Plan) -> History:
    import torch

    settings, split, module = plan.settings, plan.split, plan.module
    seed_python_and_numpy(settings.seed)
    torch.manual_seed(settings.seed)
    device = torch_device(settings.device)

    model = module.build_model()
    if not isinstance(model, torch.nn.Module):
        raise TrainingError(f"build_model() returned {type(model).__name__}, not a torch.nn.Module")
    model.to(device)
    optimizer, scheduler = _unpack_optimizer(module.build_optimizer(model))
    forward, loss_fn, threshold = _head(module, model)

    def tensor(a: np.ndarray | None, dtype: Any) -> Any:
        return None if a is None else torch.as_tensor(a, dtype=dtype, device=device)

    x_train, x_val = tensor(split.x_train, torch.float32), tensor(split.x_val, torch.float32)
    model.eval()
    with torch.no_grad():
        out_shape = tuple(model(x_train[:2]).shape[1:])
    targets = encode_targets(plan.dataset, split.y_train, split.y_val, plan.loss_name, out_shape)
    target_dtype = torch.long if targets.form == INDEX else torch.float32
    y_train, y_val = tensor(targets.train, target_dtype), tensor(targets.val, target_dtype)
    labels_train, labels_val = tensor(split.y_train, torch.long), tensor(split.y_val, torch.long)
    kind = targets.accuracy
    extra = plan.validation_metrics(kind)

    n = len(x_train)
    bounds = batch_bounds(n, settings.batch_size)
    batch_sizes = torch.tensor([stop - start for start, stop in bounds], dtype=torch.float32, device=device)
    session = plan.session(backend="pytorch", device=str(device), steps=len(bounds), accuracy=kind is not None)
    generator = torch.Generator().manual_seed(settings.seed)

    def evaluate() -> dict[str, float]:
        model.eval()
        loss_sum, correct = torch.zeros((), device=device), torch.zeros((), device=device, dtype=torch.long)
        outputs = []
        with torch.no_grad():
            for start in range(0, len(x_val), EVAL_BATCH):
                stop = start + EVAL_BATCH
                out = forward(x_val[start:stop])
                loss_sum += loss_fn(out, y_val[start:stop]) * len(out)
                if kind:
                    correct += (_predicted(out, kind, threshold) == labels_val[start:stop]).sum()
                if extra is not None:  # custom metrics read the model's output
                    outputs.append((out if forward is model else model(x_val[start:stop])).float().cpu())
        metrics = {"val_loss": loss_sum.item() / len(x_val)}
        if kind:
            metrics["val_accuracy"] = correct.item() / len(x_val)
        if extra is not None:
            metrics.update(plan.compute_extra(torch.cat(outputs).numpy()))
        return metrics

    with session.progress:
        session.begin()
        for epoch in range(1, settings.epochs + 1):
            session.start_epoch(epoch)
            began = time.perf_counter()
            model.train()
            order = torch.randperm(n, generator=generator).to(device)
            # Each batch's loss and predictions go into buffers; the epoch's means are taken
            # once at its end (per-batch sums cost several small tensor ops per step).
            losses = torch.empty(len(bounds), device=device)
            predicted = torch.empty(n, device=device, dtype=torch.long) if kind else None
            for i, (start, stop) in enumerate(bounds):
                idx = order[start:stop]
                out = forward(x_train[idx])
                loss = loss_fn(out, y_train[idx])
                if loss.dim() != 0:
                    raise TrainingError(f"{'build_logits_loss' if forward is not model else 'build_loss'}() "
                                        f"must return a scalar, got a tensor shaped {tuple(loss.shape)}")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                losses[i] = loss.detach()
                if kind:
                    predicted[start:stop] = _predicted(out.detach(), kind, threshold)
                session.advance()
            metrics = {"loss": float((losses * batch_sizes).sum().item()) / n}
            if kind:
                metrics["accuracy"] = (predicted == labels_train[order]).sum().item() / n
            if x_val is not None:
                metrics.update(evaluate())
            metrics["epoch_time"] = time.perf_counter() - began
            if session.end_epoch(epoch, metrics):
                break
    model.eval()
    return session.finish(model)
