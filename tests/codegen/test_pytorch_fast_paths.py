"""Generated PyTorch code trains on the fast paths the framework offers, with the same model:
a softmax/sigmoid output gives `logits()` and `build_logits_loss()` (the exact loss, one step
cheaper, as Keras computes it), and the optimizers that have one use the fused kernel."""

from __future__ import annotations

import types

import pytest

from compiler.codegen import generate_code

torch = pytest.importorskip("torch")

MLP = """network M {{
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(16, activation="relu")
    {last}
  loss: "{loss}"
  optimizer: {optimizer}
}}
"""


def _module(last: str, loss: str, optimizer: str = "Adam(learning_rate=0.01)") -> types.ModuleType:
    m = types.ModuleType("gen")
    exec(compile(generate_code(MLP.format(last=last, loss=loss, optimizer=optimizer), "pytorch"), "gen", "exec"),
         m.__dict__)
    return m


SPLIT = [
    ('Output(10, activation="softmax")', "sparse_categorical_crossentropy", lambda n: torch.randint(0, 10, (n,))),
    ('Output(10, activation="softmax")', "categorical_crossentropy",
     lambda n: torch.nn.functional.one_hot(torch.randint(0, 10, (n,)), 10).float()),
    ('Dense(10)\n    Activation("softmax")', "sparse_categorical_crossentropy", lambda n: torch.randint(0, 10, (n,))),
    ('Output(1, activation="sigmoid")', "binary_crossentropy", lambda n: torch.randint(0, 2, (n, 1)).float()),
]


@pytest.mark.parametrize("last,loss,targets", SPLIT, ids=["sparse", "categorical", "activation-layer", "binary"])
def test_the_loss_from_logits_equals_the_loss_of_the_output(last, loss, targets):
    m = _module(last, loss)
    torch.manual_seed(0)
    model = m.build_model().eval()
    x, y = torch.rand(64, 8, 8, 1), targets(64)
    with torch.no_grad():
        out, logits = model(x), model.logits(x)
        assert torch.allclose(out, torch.softmax(logits, -1) if "softmax" in last else torch.sigmoid(logits))
        assert torch.allclose(m.build_logits_loss()(logits, y), m.build_loss()(out, y), atol=1e-5)


def test_the_logits_loss_stays_exact_where_the_output_rounds_to_zero():
    """log(softmax) of a class far below the others: the probability is 0 in float32, so the
    output's loss is capped by its clamp (16.1) and gives no gradient; the logits' loss is exact."""
    m = _module('Output(3, activation="softmax")', "sparse_categorical_crossentropy")
    logits = torch.tensor([[0.0, 200.0, 0.0]], requires_grad=True)
    y = torch.tensor([0])
    exact = m.build_logits_loss()(logits, y)
    assert exact.item() == pytest.approx(200.0, rel=1e-4)
    assert m.build_loss()(torch.softmax(logits, -1), y).item() == pytest.approx(16.118, rel=1e-3)
    exact.backward()
    assert logits.grad.abs().sum() > 1


@pytest.mark.parametrize("last,loss", [
    ('Output(10, activation="softmax")', "mse"),  # no exact logits form of this loss
    ('Output(10, activation="relu")', "sparse_categorical_crossentropy"),
    ('Output(10)', "sparse_categorical_crossentropy"),  # already logits
])
def test_other_outputs_keep_one_forward_and_build_loss(last, loss):
    m = _module(last, loss)
    assert not hasattr(m, "build_logits_loss") and not hasattr(m.build_model(), "logits")


@pytest.mark.parametrize("optimizer", [
    "Adam(learning_rate=0.01, amsgrad=true)",
    "AdamW(learning_rate=0.01, weight_decay=0.01)",
    "SGD(learning_rate=0.01, momentum=0.9, nesterov=true)",
    "SGD(learning_rate=ExponentialDecay(0.1, 100, 0.96))",
    "Adagrad(learning_rate=0.01)",
])
def test_optimizers_with_a_fused_kernel_use_it_and_step(optimizer):
    m = _module('Output(10, activation="softmax")', "sparse_categorical_crossentropy", optimizer)
    model = m.build_model()
    opt, scheduler = m.build_optimizer(model)
    assert opt.defaults["fused"] is True
    before = [p.detach().clone() for p in model.parameters()]
    loss = m.build_logits_loss()(model.logits(torch.rand(4, 8, 8, 1)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    opt.step()
    if scheduler is not None:
        scheduler.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


@pytest.mark.parametrize("optimizer", ["RMSprop(learning_rate=0.01)", "Nadam(learning_rate=0.01)"])
def test_optimizers_without_a_fused_kernel_keep_the_default(optimizer):
    m = _module('Output(10, activation="softmax")', "sparse_categorical_crossentropy", optimizer)
    opt, _ = m.build_optimizer(m.build_model())
    assert not opt.defaults.get("fused")
