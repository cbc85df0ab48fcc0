"""Document formatting: canonical, idempotent, keeps comments, never changes what the
program means. Over stdio on every example; the formatter itself also on the whole
conformance corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from compiler.analysis import analyze
from neural_lsp.features.formatting import NotFormatted, fingerprint, format_checked, format_text
from tests.lsp.conftest import EXAMPLES, apply_edits, open_doc, server_fixture

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "corpus"

MESSY = """

# header\x20\x20\x20
define   Block{
Conv2D( 32 ,(3,3),padding = "same" ,activation="relu")   # conv
      BatchNormalization( )
}
network   Messy{
input:(28,28,1)
layers :
Block()*2
      ResidualConnection{
   Conv2D(32,(3,3),padding="same")
        }
Flatten()    Dense(HPO( choice( 32,64 ) ),activation= HPO(choice("relu","tanh")))



  Dropout(HPO(range(0.1,0.5,step = 0.1)))
Output( 10,"softmax" )
// a slash comment
loss:"sparse_categorical_crossentropy"
optimizer:Adam(learning_rate=HPO(log_range(1e-4,1e-2)),
beta_1=0.9,
  clipnorm = 1.0
)
metrics:["accuracy",'acc']
train{epochs:5 batch_size:HPO(choice(32,64))
validation_split:0.2}
execute{device:"cpu"}
}
"""

CANONICAL = """# header
define Block {
  Conv2D(32, (3, 3), padding="same", activation="relu")  # conv
  BatchNormalization()
}
network Messy {
  input: (28, 28, 1)
  layers:
    Block() * 2
    ResidualConnection {
      Conv2D(32, (3, 3), padding="same")
    }
    Flatten() Dense(HPO(choice(32, 64)), activation=HPO(choice("relu", "tanh")))

    Dropout(HPO(range(0.1, 0.5, step=0.1)))
    Output(10, "softmax")
  // a slash comment
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=HPO(log_range(1e-4, 1e-2)),
    beta_1=0.9,
    clipnorm=1.0
  )
  metrics: ["accuracy", 'acc']
  train { epochs: 5 batch_size: HPO(choice(32, 64))
    validation_split: 0.2 }
  execute { device: "cpu" }
}
"""


async def _format(client, text: str) -> str:
    uri = open_doc(client, text)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    return apply_edits(text, edits)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
async def test_examples_idempotent_and_same_program(client, path):
    text = path.read_text()
    once = await _format(client, text)
    twice = await _format(client, once)
    assert twice == once, "formatting is idempotent"
    assert fingerprint(analyze(once)) == fingerprint(analyze(text)), "the program is unchanged"
    assert [c.text for c in analyze(once).tree.comments] == \
        [c.text.rstrip() for c in analyze(text).tree.comments], "comments are kept"


async def test_canonical_layout(client):
    assert await _format(client, MESSY) == CANONICAL
    assert await _format(client, CANONICAL) == CANONICAL


async def test_aligned_trailing_comments(client):
    text = ("network N {\n  input: (4,)\n  layers:\n    Dense(4)   # a\n"
            "    Dense(HPO(choice(2, 4)))  # b\n    Output(2) # c\n}\n")
    assert await _format(client, text) == (
        "network N {\n  input: (4,)\n  layers:\n    Dense(4)                  # a\n"
        "    Dense(HPO(choice(2, 4)))  # b\n    Output(2)                 # c\n}\n")


async def test_crlf_kept(client):
    text = MESSY.replace("\n", "\r\n")
    assert await _format(client, text) == CANONICAL.replace("\n", "\r\n")


async def test_syntax_errors_are_left_alone(client):
    broken = "network N {\n  input: (4,\n  layers:\n      Dense(4\n}\n"
    assert await _format(client, broken) == broken


async def test_conformance_corpus_formats_safely():
    """Every program of the corpus without syntax errors: formatting keeps its meaning
    (format_checked would refuse otherwise) and is idempotent."""
    files = sorted(CORPUS.glob("*.neural"))
    if not files:
        pytest.skip(f"no conformance corpus at {CORPUS}")
    formatted = 0
    for f in files:
        text = f.read_text()
        try:
            once = format_checked(text, analyze(text))
        except NotFormatted as why:
            assert "syntax" in str(why), (f.name, why)
            continue
        formatted += 1
        assert format_text(once) == once, f.name
    assert formatted > 100
