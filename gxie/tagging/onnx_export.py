"""Write a model directory's weights as an ONNX graph (``model.onnx``) for gxie.tagging.onnx.OnnxTagger.

The graph is built here, node by node, from ``config.json`` and ``model.safetensors``: no torch and no
tracing, only numpy, safetensors and the ``onnx`` package (``pip install onnx``; the ``train`` extra has
it). It computes what ``transformers``' ``ModernBertForTokenClassification`` computes in eval mode, with
the same weights, rearranged for speed:

- rotary position embeddings: ``rotate_half(q)`` is linear in ``q``, so its matrix is folded into the
  query and key projections (one ``MatMul`` gives q, k, v, rotate_half(q), rotate_half(k)); cos and sin
  are constant tables sliced to the sequence length; the attention scale is folded into the query;
- global attention layers use onnxruntime's fused ``MultiHeadAttention`` with a key padding mask;
- sliding-window layers (``|i - j| <= local_attention // 2``) attend block by block: each block of
  ``local_attention // 2`` queries looks at its own and its two neighbouring key blocks under a band
  mask, instead of at the whole window under a mask. Same result, a fraction of the work.

Inputs ``input_ids`` and ``attention_mask`` (int64, ``[batch, length]``), output ``logits`` (float32,
``[batch, length, labels]``), as the torch model. ``tests/test_onnx.py`` checks that the tags equal the
torch model's on real and generated reports.

    python -m gxie.tagging.onnx_export models/default          # (re)writes models/default/model.onnx
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from gxie.errors import ModelError
from gxie.tagging.modeldir import CONFIG_FILE, INT8_FILE, ONNX_FILE, WEIGHTS_FILE

OPSET = 17
MS_DOMAIN = "com.microsoft"
PRODUCER = "gxie.tagging.onnx_export"
GRAPH_FORMAT = 1  # bump when the graph changes in a way a reader must know about
NEG = -1.0e9  # additive mask: exp(NEG + score) is exactly 0 in float32
SUPPORTED_ACTIVATIONS = ("gelu",)


def onnx_available() -> bool:
    """Whether the ``onnx`` package (needed to write graphs, not to run them) is installed."""
    import importlib.util

    return importlib.util.find_spec("onnx") is not None


def export_onnx(model_dir: str | Path, out: str | Path | None = None, *, int8: bool = True) -> Path:
    """Write the ONNX graph of the model in ``model_dir`` to ``out`` (default ``model_dir/model.onnx``)
    and, with ``int8``, its dynamically quantized twin beside it (``model.int8.onnx``); returns ``out``.

    Raises ModelError when a file is missing or unreadable, when the config uses a ModernBERT feature
    this exporter does not implement, or when the ``onnx`` package is not installed.
    """
    if not onnx_available():
        raise ModelError(
            "exporting a model to ONNX needs the 'onnx' package, which is not installed; install it with "
            "`pip install onnx` (or `pip install 'gxie[train]'`)"
        )
    import onnx

    model_dir = Path(model_dir)
    config = _read_config(model_dir / CONFIG_FILE)
    weights = _read_weights(model_dir / WEIGHTS_FILE)
    proto = build_graph(config, weights)
    target = Path(out) if out is not None else model_dir / ONNX_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.tmp")
    onnx.save_model(proto, str(scratch))
    scratch.replace(target)
    if int8:
        quantize(target, target.with_name(INT8_FILE))
    return target


def quantize(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of the matrix products of ``source`` (weights int8, activations
    quantized per call), written to ``target``. Needs the ``onnx`` package."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    scratch = target.with_name(f".{target.name}.tmp")
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # quantize_dynamic logs advice on pre-processing to the root logger
    try:
        quantize_dynamic(
            str(source),
            str(scratch),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    scratch.replace(target)
    return target


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read {path}: {exc}; a model directory needs the config.json it was saved with"
        ) from exc
    if not isinstance(data, dict) or data.get("model_type") != "modernbert":
        kind = data.get("model_type") if isinstance(data, dict) else type(data).__name__
        raise ModelError(f"{path} describes a {kind!r} model; the ONNX exporter handles 'modernbert' models only")
    return data


def _read_weights(path: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return {k: np.asarray(v, dtype=np.float32) for k, v in load_file(str(path)).items()}
    except (OSError, SafetensorError) as exc:
        raise ModelError(f"cannot read the weights {path}: {exc}; re-save the model") from exc


class _Graph:
    """A small helper that names nodes and constants while the graph is written."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._n = 0
        self._ints: dict[tuple[int, ...], str] = {}

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, hint: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def ints(self, hint: str, values: list[int]) -> str:
        """An int64 constant; one initializer per distinct value."""
        key = tuple(values)
        if key not in self._ints:
            self._ints[key] = self.const(hint, np.asarray(values, dtype=np.int64))
        return self._ints[key]

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, n_out: int = 1, **attrs: Any) -> Any:
        from onnx import helper

        outs = [self.name(hint or op_type.lower()) for _ in range(n_out)]
        domain = attrs.pop("domain", "")
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type), domain=domain, **attrs))
        return outs[0] if n_out == 1 else outs


def _weight(weights: dict[str, np.ndarray], key: str, shape: tuple[int, ...]) -> np.ndarray:
    if key not in weights:
        raise ModelError(f"the weights lack {key!r}; they do not come from a ModernBertForTokenClassification")
    value = weights[key]
    if value.shape != shape:
        raise ModelError(f"weight {key!r} has shape {value.shape}, config.json implies {shape}")
    return value


def _rotate_half_matrix(heads: int, head_dim: int) -> np.ndarray:
    """``R`` with ``x @ R == rotate_half(x)`` per head, for ``x`` of ``heads * head_dim`` features."""
    half = head_dim // 2
    block = np.zeros((head_dim, head_dim), dtype=np.float32)
    for i in range(half):
        block[i + half, i] = -1.0  # out[i] = -x[i + half]
        block[i, i + half] = 1.0  # out[i + half] = x[i]
    return np.kron(np.eye(heads, dtype=np.float32), block)


def _rope_tables(theta: float, head_dim: int, heads: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of ModernBERT's default rotary embedding, ``[length, heads * head_dim]``."""
    inv_freq = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
    freqs = np.arange(length, dtype=np.float32)[:, None] * inv_freq.astype(np.float32)[None, :]
    emb = np.concatenate([freqs, freqs], axis=-1).astype(np.float32)
    return np.tile(np.cos(emb), (1, heads)).astype(np.float32), np.tile(np.sin(emb), (1, heads)).astype(np.float32)


def _check_config(config: dict[str, Any]) -> None:
    for key in ("hidden_activation", "classifier_activation"):
        if config.get(key, "gelu") not in SUPPORTED_ACTIVATIONS:
            raise ModelError(
                f"config.json has {key}={config.get(key)!r}; the ONNX exporter implements "
                f"{', '.join(SUPPORTED_ACTIVATIONS)} only. Use backend='torch' for this model"
            )
    rope = config.get("rope_parameters") or {}
    for layer_type, params in rope.items():
        if not isinstance(params, dict) or params.get("rope_type", "default") != "default":
            raise ModelError(
                f"config.json has rope parameters {params!r} for {layer_type}; the ONNX exporter implements "
                "the default rotary embedding only. Use backend='torch' for this model"
            )


def build_graph(config: dict[str, Any], weights: dict[str, np.ndarray]) -> Any:
    """The ONNX ``ModelProto`` of a ModernBERT token classifier (see the module docstring)."""
    from onnx import TensorProto, helper

    _check_config(config)
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    inter = int(config["intermediate_size"])
    n_layers = int(config["num_hidden_layers"])
    vocab = int(config["vocab_size"])
    eps = float(config.get("norm_eps", 1e-5))
    max_pos = int(config.get("max_position_embeddings", 512))
    layer_types = list(config.get("layer_types") or [])
    if len(layer_types) != n_layers:
        raise ModelError(f"config.json lists {len(layer_types)} layer_types for {n_layers} layers; re-save the model")
    id2label = config.get("id2label") or {}
    n_labels = len(id2label)
    if hidden % heads:
        raise ModelError(f"hidden_size {hidden} is not a multiple of num_attention_heads {heads}")
    head_dim = hidden // heads
    if head_dim % 2:
        raise ModelError(f"head size {head_dim} is odd; rotary embeddings need an even head size")
    half_window = int(config.get("local_attention", 128)) // 2
    rope = config.get("rope_parameters") or {}

    g = _Graph()
    zeros = g.const("zero_bias", np.zeros(hidden, dtype=np.float32))

    def norm(x: str, key: str) -> str:
        scale = g.const(key, _weight(weights, key + ".weight", (hidden,)))
        bias = g.const(key + "_b", weights[key + ".bias"]) if key + ".bias" in weights else zeros
        return str(g.op("LayerNormalization", [x, scale, bias], hint="ln", axis=-1, epsilon=eps))

    def linear(x: str, w: np.ndarray, b: np.ndarray | None, hint: str) -> str:
        y = str(g.op("MatMul", [x, g.const(hint + "_w", w)], hint=hint))
        return str(g.op("Add", [y, g.const(hint + "_b", b)], hint=hint)) if b is not None else y

    def gelu(x: str) -> str:
        return str(g.op("Gelu", [x], hint="gelu", domain=MS_DOMAIN))

    # sequence length, the padded length for block attention, the key padding mask
    ids, mask = "input_ids", "attention_mask"
    shape = g.op("Shape", [ids], hint="shape")
    length = g.op("Gather", [shape, g.ints("one", [1])], hint="length", axis=0)  # [1]
    mask32 = g.op("Cast", [mask], hint="mask32", to=TensorProto.INT32)

    x = g.op(
        "Gather", [g.const("tok_emb", _weight(weights, "model.embeddings.tok_embeddings.weight", (vocab, hidden))), ids]
    )
    x = norm(x, "model.embeddings.norm")

    rotate = _rotate_half_matrix(heads, head_dim)
    scale = head_dim**-0.5
    tables: dict[str, tuple[str, str]] = {}
    blocks: dict[str, str] | None = None

    def rope_of(layer_type: str) -> tuple[str, str]:
        if layer_type not in tables:
            params = rope.get(layer_type) or {}
            # older configs (transformers 4) name the two thetas instead of rope_parameters
            old = ("global_rope_theta", 160000.0) if layer_type == "full_attention" else ("local_rope_theta", 10000.0)
            theta = float(params.get("rope_theta", config.get(*old)))
            cos, sin = _rope_tables(theta, head_dim, heads, max_pos)
            start, end = g.ints("zero", [0]), length
            cos_n = g.op("Slice", [g.const("cos", cos), start, end, g.ints("axis0", [0])], hint="cos")
            sin_n = g.op("Slice", [g.const("sin", sin), start, end, g.ints("axis0", [0])], hint="sin")
            tables[layer_type] = (str(cos_n), str(sin_n))
        return tables[layer_type]

    def block_setup() -> dict[str, str]:
        """Shapes and masks of block attention, computed once for all sliding-window layers."""
        c = half_window
        n_blocks = g.op("Div", [g.op("Add", [length, g.ints("cm1", [c - 1])]), g.ints("c", [c])], hint="nblocks")
        padded = g.op("Mul", [n_blocks, g.ints("c", [c])], hint="padded")
        extra = g.op("Sub", [padded, length], hint="extra")
        # keys: one block of padding before, the tail padding plus one block after
        pads_keys = g.op("Concat", [g.ints("p0", [0, c, 0, 0]), extra, g.ints("p2", [0])], hint="pads", axis=0)
        pads_mask = g.op("Concat", [g.ints("p0", [0, c, 0]), extra], hint="pads", axis=0)
        pads_mask = g.op("Add", [pads_mask, g.ints("pm", [0, 0, 0, c])], hint="pads")
        pads_q = g.op("Concat", [g.ints("p0", [0, 0, 0, 0]), extra, g.ints("p2", [0])], hint="pads", axis=0)
        pads_keys = g.op("Add", [pads_keys, g.ints("pk", [0, 0, 0, 0, c, 0])], hint="pads")
        batch = g.op("Gather", [shape, g.ints("zero", [0])], hint="batch", axis=0)
        n_key_blocks = g.op("Add", [n_blocks, g.ints("two", [2])], hint="nkb")
        # mask of the padded keys, cut into blocks: [batch, n_blocks + 2, c] -> 3 neighbours -> [batch*nb, 3c]
        mpad = g.op("Pad", [mask32, pads_mask], hint="mpad")
        mblocks = g.op("Reshape", [mpad, g.op("Concat", [batch, n_key_blocks, g.ints("c", [c])], axis=0)], hint="mb")
        m3 = _neighbours(g, mblocks, n_blocks, axis=1, concat_axis=2)
        rows = g.op("Mul", [batch, n_blocks], hint="rows")
        key_mask = g.op("Reshape", [m3, g.op("Concat", [rows, g.ints("c3", [3 * c])], axis=0)], hint="keymask")
        # band: query i of a block sees key t of its three-block neighbourhood when |c + i - t| <= half_window
        i = np.arange(c)[:, None]
        t = np.arange(3 * c)[None, :]
        band = np.where(np.abs(c + i - t) <= half_window, 0.0, NEG).astype(np.float32)[None, None]
        return {
            "n_blocks": str(n_blocks),
            "batch": str(batch),
            "rows": str(rows),
            "n_key_blocks": str(n_key_blocks),
            "pads_keys": str(pads_keys),
            "pads_q": str(pads_q),
            "key_mask": str(key_mask),
            "band": g.const("band", band),
        }

    for layer in range(n_layers):
        p = f"model.layers.{layer}"
        kind = layer_types[layer]
        h = x if layer == 0 and f"{p}.attn_norm.weight" not in weights else norm(x, f"{p}.attn_norm")
        wqkv = _weight(weights, f"{p}.attn.Wqkv.weight", (3 * hidden, hidden)).T  # [hidden, 3*hidden]
        wq, wk, wv = wqkv[:, :hidden] * scale, wqkv[:, hidden : 2 * hidden], wqkv[:, 2 * hidden :]
        w5 = np.concatenate([wq, wk, wv, wq @ rotate, wk @ rotate], axis=1)
        b5 = None
        if f"{p}.attn.Wqkv.bias" in weights:
            b = weights[f"{p}.attn.Wqkv.bias"]
            bq, bk, bv = b[:hidden] * scale, b[hidden : 2 * hidden], b[2 * hidden :]
            b5 = np.concatenate([bq, bk, bv, bq @ rotate, bk @ rotate])
        qkv = linear(h, w5.astype(np.float32), b5, "qkv")
        q, k, v, qr, kr = g.op("Split", [qkv, g.ints("split", [hidden] * 5)], hint="qkv", n_out=5, axis=-1)
        cos, sin = rope_of(kind)
        q = g.op("Add", [g.op("Mul", [q, cos]), g.op("Mul", [qr, sin])], hint="q")
        k = g.op("Add", [g.op("Mul", [k, cos]), g.op("Mul", [kr, sin])], hint="k")
        if kind == "sliding_attention":
            blocks = blocks or block_setup()
            attn = _block_attention(g, q, k, v, blocks, heads, hidden, half_window, length)
        elif kind == "full_attention":
            attn = g.op("MultiHeadAttention", [q, k, v, "", mask32], hint="attn", domain=MS_DOMAIN,
                        num_heads=heads, scale=1.0)  # fmt: skip
        else:
            raise ModelError(f"config.json has layer type {kind!r}; the ONNX exporter knows full_attention and "
                             "sliding_attention")  # fmt: skip
        wo = _weight(weights, f"{p}.attn.Wo.weight", (hidden, hidden)).T
        x = g.op("Add", [x, linear(attn, wo, weights.get(f"{p}.attn.Wo.bias"), "wo")], hint="x")
        h = norm(x, f"{p}.mlp_norm")
        wi = _weight(weights, f"{p}.mlp.Wi.weight", (2 * inter, hidden)).T
        u = linear(h, wi, weights.get(f"{p}.mlp.Wi.bias"), "wi")
        a, gate = g.op("Split", [u, g.ints("split", [inter, inter])], hint="glu", n_out=2, axis=-1)
        act = g.op("Mul", [gelu(a), gate], hint="glu")
        wo2 = _weight(weights, f"{p}.mlp.Wo.weight", (hidden, inter)).T
        x = g.op("Add", [x, linear(act, wo2, weights.get(f"{p}.mlp.Wo.bias"), "mlp_out")], hint="x")

    x = norm(x, "model.final_norm")
    dense = _weight(weights, "head.dense.weight", (hidden, hidden)).T
    x = norm(gelu(linear(x, dense, weights.get("head.dense.bias"), "head")), "head.norm")
    cls_w = _weight(weights, "classifier.weight", (n_labels, hidden)).T
    g.op("MatMul", [x, g.const("cls_w", cls_w)], hint="cls")
    logits_in = g.nodes[-1].output[0]
    if "classifier.bias" in weights:
        g.nodes.append(
            helper.make_node("Add", [logits_in, g.const("cls_b", weights["classifier.bias"])], ["logits"], name="out")
        )
    else:
        g.nodes.append(helper.make_node("Identity", [logits_in], ["logits"], name="out"))

    graph = helper.make_graph(
        g.nodes,
        "gxie_char_tagger",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "length", n_labels])],
        initializer=g.inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)],
        producer_name=PRODUCER,
    )
    model.ir_version = 8
    helper.set_model_props(model, {"gxie_graph_format": str(GRAPH_FORMAT), "max_length": str(max_pos)})
    return model


def _neighbours(g: _Graph, blocks: Any, n_blocks: Any, *, axis: int, concat_axis: int) -> Any:
    """Concatenate blocks ``j``, ``j + 1``, ``j + 2`` of ``blocks`` (``n_blocks + 2`` along ``axis``) for each
    ``j < n_blocks``, along ``concat_axis``."""
    parts = []
    for shift in range(3):
        start = g.ints("s", [shift])
        end = g.op("Add", [n_blocks, g.ints("s", [shift])], hint="end")
        parts.append(g.op("Slice", [blocks, start, end, g.ints("ax", [axis])], hint="nb"))
    return g.op("Concat", parts, hint="nb3", axis=concat_axis)


def _block_attention(
    g: _Graph, q: Any, k: Any, v: Any, b: dict[str, str], heads: int, hidden: int, c: int, length: Any
) -> Any:
    """Sliding-window attention (``|i - j| <= c``) by blocks of ``c`` queries against 3 ``c`` keys."""
    qp = g.op("Pad", [q, b["pads_q"]], hint="qpad")
    q_rows = g.op("Reshape", [qp, g.op("Concat", [b["rows"], g.ints("ch", [c, hidden])], axis=0)], hint="qb")
    kv_shape = g.op("Concat", [b["batch"], b["n_key_blocks"], g.ints("ch", [c, hidden])], axis=0)
    rows_shape = g.op("Concat", [b["rows"], g.ints("ch", [3 * c, hidden])], axis=0)
    k3 = g.op("Reshape", [_neighbours(g, g.op("Reshape", [g.op("Pad", [k, b["pads_keys"]]), kv_shape]), b["n_blocks"],
                                      axis=1, concat_axis=2), rows_shape], hint="k3")  # fmt: skip
    v3 = g.op("Reshape", [_neighbours(g, g.op("Reshape", [g.op("Pad", [v, b["pads_keys"]]), kv_shape]), b["n_blocks"],
                                      axis=1, concat_axis=2), rows_shape], hint="v3")  # fmt: skip
    out = g.op("MultiHeadAttention", [q_rows, k3, v3, "", b["key_mask"], b["band"]], hint="lattn", domain=MS_DOMAIN,
               num_heads=heads, scale=1.0)  # fmt: skip
    full = g.op("Reshape", [out, g.op("Concat", [b["batch"], g.ints("m1", [-1, hidden])], axis=0)], hint="lattn")
    return g.op("Slice", [full, g.ints("s", [0]), length, g.ints("ax", [1])], hint="lattn")


def main(argv: list[str] | None = None) -> int:
    """``python -m gxie.tagging.onnx_export MODEL_DIR [-o FILE]``."""
    parser = argparse.ArgumentParser(description="Write model.onnx for a gxie model directory.")
    parser.add_argument("model_dir")
    parser.add_argument("-o", "--output", help="where to write (default MODEL_DIR/model.onnx)")
    args = parser.parse_args(argv)
    try:
        path = export_onnx(args.model_dir, args.output)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
