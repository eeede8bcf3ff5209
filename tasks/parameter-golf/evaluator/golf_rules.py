"""The challenge's limits and its static legality checks, shared by evaluate.py and project_size.py."""
import ast
import io
import re
import tokenize

TRAIN_LIMIT_MS = 600_000  # 10 minutes of training on 8xH100
EVAL_LIMIT_MS = 600_000  # 10 minutes of evaluation
ZLIB_FLOOR = 0.8  # int8 codes of trained weights rarely compress below 0.8 of their size with zlib


def without_comments(code):
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type != tokenize.COMMENT]
    return tokenize.untokenize(tokens)


def validation_leak(code, log_lines):
    """Why this run may have trained on validation data, or None. Training batches come from
    DistributedTokenLoader over Hyperparameters.train_files (fineweb_train_*); the validation
    split must be fineweb_val_* and is read only by load_validation_tokens."""
    code = without_comments(code)
    train_glob = re.search(r"train_files\s*=\s*os\.path\.join\(\s*data_path\s*,\s*[\"']([^\"']+)[\"']", code)
    if not train_glob or not train_glob.group(1).startswith("fineweb_train_"):
        return "Hyperparameters.train_files must stay os.path.join(data_path, \"fineweb_train_*.bin\")"
    for call in re.findall(r"DistributedTokenLoader\(([^)]*)\)", code):
        if "train_files" not in call:
            return f"a training loader is built from something other than args.train_files: DistributedTokenLoader({call})"
    if re.search(r"fineweb_val", code.replace('"fineweb_val_*.bin"', "")):
        return "fineweb_val is named outside Hyperparameters.val_files"
    allowed = r"val_files\s*=.*|load_validation_tokens\(\s*args\.val_files|pattern=\{args\.val_files\}"
    if "val_files" in re.sub(allowed, "", code):
        return "val_files is used outside load_validation_tokens(args.val_files, ...)"
    pattern = re.findall(r"^val_loader:shards pattern=(\S+)", log_lines, flags=re.M)
    if pattern and not pattern[-1].endswith("fineweb_val_*.bin"):
        return f"validation read {pattern[-1]}, not the full fineweb_val_* split"
    return None


def hyperparameter_defaults(code):
    """{ENV_NAME: default} of every os.environ.get("NAME", default) in train_gpt.py, read with ast."""
    out = {}
    for node in ast.walk(ast.parse(code)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            try:
                out[node.args[0].value] = ast.literal_eval(node.args[1])
            except ValueError:
                pass
    return out


def baseline_param_count(h):
    """Parameters of the baseline GPT shape in train_gpt.py (blocks of GQA attention + MLP)."""
    dim, layers, vocab = int(h["MODEL_DIM"]), int(h["NUM_LAYERS"]), int(h["VOCAB_SIZE"])
    heads, kv_heads, mlp = int(h["NUM_HEADS"]), int(h["NUM_KV_HEADS"]), int(h["MLP_MULT"])
    kv_dim = kv_heads * (dim // heads)
    block = 2 * dim * dim + 2 * dim * kv_dim + 2 * dim * mlp * dim
    tied = str(h.get("TIE_EMBEDDINGS", "1")) not in ("0", "False", "false")
    return layers * block + vocab * dim * (1 if tied else 2)
