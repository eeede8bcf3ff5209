"""chat-mini recipe: train a byte-level GPT on State of the Union text (train split), then
write a plain torch state_dict to $LINEAGE_RUN_DIR/model.pt, the model config to
config.json and train_metrics.json. The evaluator scores the model on a frozen CORE-like
multiple-choice suite (held-out SOTU + Jane Austen; see knowledge.md). Runs a fixed
number of steps; seeded; CPU runs are bit-reproducible. Knobs below are one per line,
`NAME = value  # comment`; every scalar UPPER_CASE constant is also copied (lower-cased)
into the model config that is written to config.json and passed to model.build_model().
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
N_LAYER = 2  # transformer blocks
D_MODEL = 128  # residual width; keep it divisible by N_HEAD
N_HEAD = 4  # attention heads
MLP_MULT = 4  # MLP hidden width = MLP_MULT * D_MODEL
TIE_EMBEDDINGS = True  # output head shares the input embedding matrix
# --- tok ---
BIGRAM_BUCKETS = 0  # hashed (previous byte, byte) embedding table rows; 0 = off
# --- curr ---
SEQ_LEN = 128  # context length (train windows and eval windows)
SHORT_SEQ_FRAC = 0.0  # first fraction of steps trained at SEQ_LEN//4 with 4x batch (same tokens/step)
RECENT_BIAS = 0.0  # 0 = uniform window sampling; b > 0 samples later (more recent) text more, density ~ exp(b*pos)
# --- opt ---
STEPS = 200  # optimizer steps (fixed; the score must not depend on wall time)
BATCH_SIZE = 16  # sequences per step
LR = 3e-3  # AdamW peak learning rate
WARMUP_STEPS = 20  # linear warmup steps
WARMDOWN_FRAC = 0.3  # last fraction of steps with LR decayed linearly to 0
BETA2 = 0.95  # AdamW beta2
GRAD_CLIP = 1.0  # global grad-norm clip; 0 = off
# --- reg ---
WEIGHT_DECAY = 0.0  # AdamW decoupled weight decay on matrices (ndim >= 2)
DROPOUT = 0.0  # dropout on embeddings, attention and MLP outputs
# --- loss ---
LOGIT_SOFTCAP = 0.0  # logits = c * tanh(logits / c); 0 = off (also applied at eval: it is in model.py)
Z_LOSS = 0.0  # weight of mean(logsumexp(logits)^2) added to the training loss

# GPU preset (LINEAGE_PRESET=gpu): each knob named here is multiplied by its factor.
GPU_SCALE = {"D_MODEL": 4, "N_LAYER": 2, "SEQ_LEN": 4, "BATCH_SIZE": 4, "STEPS": 20, "WARMUP_STEPS": 5}


def apply_preset():
    if os.environ.get("LINEAGE_PRESET", "cpu") == "gpu":
        g = globals()
        for k, f in GPU_SCALE.items():
            v = g[k] * f
            g[k] = int(round(v)) if isinstance(g[k], int) else v


def model_config():
    return {k.lower(): v for k, v in globals().items()
            if k.isupper() and isinstance(v, (bool, int, float, str))}


# ----------------------------------------------------------------------------- training
def lr_at(step):
    if step < WARMUP_STEPS:
        return LR * (step + 1) / WARMUP_STEPS
    wd_start = int(STEPS * (1.0 - WARMDOWN_FRAC))
    if WARMDOWN_FRAC > 0 and step >= wd_start:
        return LR * (STEPS - step) / max(1, STEPS - wd_start)
    return LR


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
    torch.manual_seed(seed)
    np.random.seed(seed)

    data = torch.from_numpy(np.fromfile(os.path.join(data_dir, "train.bin"), dtype=np.uint8))
    n = data.numel()
    gen = torch.Generator().manual_seed(seed)

    def get_batch(bsz, T):
        u = torch.rand(bsz, generator=gen, dtype=torch.float64)
        if RECENT_BIAS > 0:
            u = torch.log1p(u * math.expm1(RECENT_BIAS)) / RECENT_BIAS
        starts = (u * (n - T - 1)).long()
        idx = starts[:, None] + torch.arange(T + 1)
        chunk = data[idx].long()
        return chunk[:, :-1].to(device), chunk[:, 1:].to(device)

    config = model_config()
    model = build_model(config).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"params {n_params} device {device} preset {os.environ.get('LINEAGE_PRESET', 'cpu')}", flush=True)

    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, BETA2), eps=1e-8)
    use_amp = device == "cuda"
    short_end = int(STEPS * SHORT_SEQ_FRAC)

    metrics_path = os.path.join(run_dir, "train_metrics.json")
    recent, t0 = [], time.time()
    model.train()
    for step in range(STEPS):
        if step < short_end:
            x, y = get_batch(BATCH_SIZE * 4, max(1, SEQ_LEN // 4))
        else:
            x, y = get_batch(BATCH_SIZE, SEQ_LEN)
        lr = lr_at(step)
        for g in opt.param_groups:
            g["lr"] = lr
        if use_amp:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                logits = model(x)
        else:
            logits = model(x)
        logits = logits.float()
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        total = loss
        if Z_LOSS > 0:
            total = total + Z_LOSS * torch.logsumexp(logits, dim=-1).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        total.backward()
        if GRAD_CLIP > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
        lv = loss.item()
        if not math.isfinite(lv):
            print(f"step {step + 1}/{STEPS} loss {lv} -> diverged", flush=True)
            with open(metrics_path, "w") as f:
                json.dump({"final_loss": None, "steps": step + 1, "nan": True}, f)
            return
        recent = (recent + [lv])[-10:]
        if (step + 1) % 10 == 0 or step == 0 or step + 1 == STEPS:
            print(f"step {step + 1}/{STEPS} loss {lv:.4f} lr {lr:.2e} "
                  f"elapsed {time.time() - t0:.1f}s", flush=True)

    model.eval()
    torch.save({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
               os.path.join(run_dir, "model.pt"))
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    final = sum(recent) / len(recent)
    with open(metrics_path, "w") as f:
        json.dump({"final_loss": final, "steps": STEPS, "nan": False}, f)
    print(f"done: final_loss {final:.4f} (mean of last {len(recent)} steps) "
          f"train {time.time() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
