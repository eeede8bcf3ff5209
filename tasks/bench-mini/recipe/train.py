"""bench-mini recipe: train ONE small CNN on Fashion-MNIST (airbench style) for LINEAGE_SEED and
save its weights to $LINEAGE_RUN_DIR/model.pt (a plain state_dict, loaded weights-only), the model
config to config.json and train_metrics.json. The harness runs this script once per seed (task.yaml
train.seeds: 3), each run in its own fresh checkout with its own LINEAGE_SEED, and sums the runs'
wall times; the scorer then measures every seed's test accuracy itself. The score is that time
(plus the model runner's own load and inference time), provided the mean test accuracy over the
seeds reaches the gate. Everything random (init, data subset and order, augmentation) must follow
LINEAGE_SEED: the scorer rejects seeds whose models agree (nearly) everywhere. CPU runs
(1 thread) are bit-reproducible.
Knobs below are one per line, `NAME = value  # comment`; every scalar UPPER_CASE constant
is also copied (lower-cased) into config.json, which the model runner passes to
model.build_model().
"""
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from model import build_model  # noqa: E402

# --- arch ---
WIDTH = 16  # channels after the stem; block i has WIDTH * 2**i channels
DEPTH = 2  # conv blocks (each: conv, maxpool 2, bn-relu, conv-bn-relu) after the 2x2 stride-2 stem
HEAD_SCALE = 0.125  # logits multiplier (airbench's scaled linear head)
# --- opt ---
EPOCHS = 2.0  # passes over the (subset of the) training set; fractions allowed
BATCH_SIZE = 128  # images per step
LR = 0.2  # SGD peak learning rate (nesterov); schedule: linear warmup, then linear decay to 0
MOMENTUM = 0.9  # SGD momentum
WARMUP_FRAC = 0.1  # fraction of steps spent warming up linearly from 0 to LR
# --- reg ---
WEIGHT_DECAY = 5e-4  # L2 on conv/linear weights (not on BN parameters)
TRAIN_SUBSET_FRAC = 0.5  # fraction of the 60,000 training images each seed sees (random per seed)
# --- aug ---
FLIP_AUG = False  # random horizontal flip of half of each batch (off: at 1-2 epochs flips slow fitting)
# --- loss ---
LABEL_SMOOTHING = 0.1  # cross-entropy label smoothing
# GPU preset (LINEAGE_PRESET=gpu): each knob named here is multiplied by its factor.
GPU_SCALE = {"WIDTH": 4, "EPOCHS": 8, "TRAIN_SUBSET_FRAC": 2, "BATCH_SIZE": 4}


def apply_preset():
    if os.environ.get("LINEAGE_PRESET", "cpu") == "gpu":
        g = globals()
        for k, f in GPU_SCALE.items():
            v = g[k] * f
            g[k] = int(round(v)) if isinstance(g[k], int) else v
        g["TRAIN_SUBSET_FRAC"] = min(1.0, g["TRAIN_SUBSET_FRAC"])


def model_config():
    return {k.lower(): v for k, v in globals().items()
            if k.isupper() and isinstance(v, (bool, int, float, str))}


def train_one(seed, xs, ys, config, device):
    torch.manual_seed(seed)
    np.random.seed(seed)
    gen = torch.Generator().manual_seed(seed)
    n_all = xs.shape[0]
    n = max(BATCH_SIZE, int(round(n_all * TRAIN_SUBSET_FRAC)))
    idx = torch.randperm(n_all, generator=gen)[:n]
    x_tr = xs[idx].to(device)
    y_tr = ys[idx].to(device)

    model = build_model(config).to(device)
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": WEIGHT_DECAY},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=LR, momentum=MOMENTUM, nesterov=MOMENTUM > 0)
    steps_per_epoch = n // BATCH_SIZE
    total = max(1, int(round(EPOCHS * steps_per_epoch)))
    warm = max(1, int(total * WARMUP_FRAC))

    def lr_at(step):
        if step < warm:
            return LR * (step + 1) / warm
        return LR * max(0.0, (total - step) / max(1, total - warm))

    model.train()
    step, losses, nan = 0, [], False
    while step < total and not nan:
        perm = torch.randperm(n, generator=gen).to(device)
        for b in range(steps_per_epoch):
            if step >= total:
                break
            bi = perm[b * BATCH_SIZE:(b + 1) * BATCH_SIZE]
            x = x_tr[bi].float().div_(255.0).unsqueeze(1)
            y = y_tr[bi].long()
            if FLIP_AUG:
                flip = (torch.rand(x.shape[0], generator=gen) < 0.5).to(device)
                x = torch.where(flip[:, None, None, None], x.flip(-1), x)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            loss = F.cross_entropy(model(x), y, label_smoothing=LABEL_SMOOTHING)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step % 50 == 0 or step == total:
                lv = loss.item()
                losses.append(lv)
                if not math.isfinite(lv):
                    nan = True
                    break
    model.eval()
    return model, {"steps": step, "final_loss": losses[-1] if losses else None, "nan": nan}


def main():
    apply_preset()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    seed = int(os.environ.get("LINEAGE_SEED", "0"))
    device = os.environ.get("LINEAGE_DEVICE", "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        device = "cpu"
    data_dir = os.environ["LINEAGE_DATA_DIR"]
    run_dir = os.environ.get("LINEAGE_RUN_DIR", "run")
    os.makedirs(run_dir, exist_ok=True)

    xs = torch.from_numpy(np.load(os.path.join(data_dir, "images.npy")))  # uint8 [N, 28, 28]
    ys = torch.from_numpy(np.load(os.path.join(data_dir, "labels.npy")))  # uint8 [N]
    config = model_config()
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    t0 = time.time()
    model, info = train_one(seed, xs, ys, config, device)
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, os.path.join(run_dir, "model.pt"))
    info["seconds"] = round(time.time() - t0, 2)
    with open(os.path.join(run_dir, "train_metrics.json"), "w") as f:
        json.dump(info, f)
    print(f"seed {seed}: {info['steps']} steps, loss {info['final_loss']}, {info['seconds']}s on {device}", flush=True)


if __name__ == "__main__":
    main()
