"""The Keras loop: model.fit on the TensorFlow backend, with one bridge callback feeding the Session.

Keras computes the metrics (its `loss`/`accuracy` are epoch means over the training batches and
`val_*` come from the held-out samples, as in the PyTorch loop); the split, early stopping,
callbacks and progress are ours, so both backends behave the same.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

from runner.training.devices import tf_device
from runner.training.errors import TrainingError
from runner.training.history import History
from runner.training.native_log import quiet_tensorflow
from runner.training.plan import Plan, seed_python_and_numpy
from runner.training.session import Session
from runner.training.targets import encode_targets


def _import_keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with quiet_tensorflow():
        import keras

    if keras.backend.backend() != "tensorflow":
        raise TrainingError(
            f"a tensorflow module needs Keras on the TensorFlow backend, but KERAS_BACKEND is "
            f"{keras.backend.backend()!r}; unset KERAS_BACKEND or set it to 'tensorflow'"
        )
    return keras


def _bridge(keras: Any, session: Session, plan: Plan) -> Any:
    class Bridge(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.began = time.perf_counter()
            session.start_epoch(epoch + 1)

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            session.advance()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            metrics = {k: float(v) for k, v in (logs or {}).items()}
            if plan.extra is not None:
                y_pred = self.model.predict(plan.split.x_val, batch_size=512, verbose=0)
                metrics.update(plan.compute_extra(y_pred))
            metrics["epoch_time"] = time.perf_counter() - self.began
            if session.end_epoch(epoch + 1, metrics):
                self.model.stop_training = True

    return Bridge()


def run(plan: Plan) -> History:
    keras = _import_keras()
    import tensorflow as tf

    settings, split, module = plan.settings, plan.split, plan.module
    seed_python_and_numpy(settings.seed)
    keras.utils.set_random_seed(settings.seed)
    device = tf_device(settings.device)

    with tf.device(device):
        model = module.build_model()
        if not isinstance(model, keras.Model):
            raise TrainingError(f"build_model() returned {type(model).__name__}, not a keras.Model")
        out_shape = tuple(int(d) for d in model(split.x_train[:2], training=False).shape[1:])
        targets = encode_targets(plan.dataset, split.y_train, split.y_val, plan.loss_name, out_shape)
        kind = targets.accuracy
        plan.validation_metrics(kind)
        model.compile(
            optimizer=module.build_optimizer(),
            loss=module.build_loss(),
            metrics=["accuracy"] if kind else [],
        )
        steps = math.ceil(len(split.x_train) / settings.batch_size)
        session = plan.session(backend="tensorflow", device=device, steps=steps, accuracy=kind is not None)
        validation = None if split.x_val is None else (split.x_val, targets.val)
        with session.progress:
            session.begin()
            model.fit(
                split.x_train,
                targets.train,
                batch_size=settings.batch_size,
                epochs=settings.epochs,
                validation_data=validation,
                shuffle=True,
                verbose=0,
                callbacks=[_bridge(keras, session, plan)],
            )
    return session.finish(model)

