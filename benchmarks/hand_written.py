"""What the hand-written baseline scripts share: digits loaded and split as `neural run` does
(scaled to [0, 1], shuffled with seed 0, 80/20), so ours and theirs train on the same data."""

DIGITS_SPLIT = """d = load_digits()
x = (d.images / 16.0).astype(np.float32)[..., None]
y = d.target.astype(np.int64)
order = np.random.default_rng(0).permutation(len(x))
cut = int(len(x) * 0.8)
xt, yt = torch.tensor(x[order[:cut]]), torch.tensor(y[order[:cut]])
xv, yv = torch.tensor(x[order[cut:]]), torch.tensor(y[order[cut:]])
"""
