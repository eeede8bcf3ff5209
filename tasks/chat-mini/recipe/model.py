"""Byte-level GPT for mini Parameter Golf.

build_model(config) -> nn.Module; forward(x: LongTensor[B, T]) -> logits [B, T, 256].
The evaluator imports this file from the trial's checkout, builds the model from the
config stored in artifact.bin, loads the dequantized parameters and computes the loss
itself. Rules: forward must be causal (logits at t depend only on x[:, :t+1]), and the
model may depend only on its config and its parameters (no file, network or env access).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULTS = {
    "vocab_size": 256,
    "n_layer": 2,
    "d_model": 128,
    "n_head": 4,
    "mlp_mult": 4,
    "seq_len": 128,
    "dropout": 0.0,
    "tie_embeddings": True,
    "bigram_buckets": 0,
    "logit_softcap": 0.0,
}


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, h = cfg["d_model"], cfg["n_head"]
        self.n_head = h
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.dropout = cfg["dropout"]
        T = cfg["seq_len"]
        self.register_buffer(
            "mask", torch.ones(T, T, dtype=torch.bool).tril(), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(
                q, k, v, is_causal=True,
                dropout_p=self.dropout if self.training else 0.0)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(~self.mask[:T, :T], float("-inf"))
            att = F.softmax(att, dim=-1)
            att = F.dropout(att, self.dropout, self.training)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return F.dropout(self.proj(y), self.dropout, self.training)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.fc = nn.Linear(d, cfg["mlp_mult"] * d, bias=False)
        self.proj = nn.Linear(cfg["mlp_mult"] * d, d, bias=False)
        self.dropout = cfg["dropout"]

    def forward(self, x):
        return F.dropout(self.proj(F.gelu(self.fc(x))), self.dropout, self.training)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln1 = RMSNorm(cfg["d_model"])
        self.attn = Attention(cfg)
        self.ln2 = RMSNorm(cfg["d_model"])
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d, V = cfg["d_model"], cfg["vocab_size"]
        self.tok_emb = nn.Embedding(V, d)
        self.pos_emb = nn.Embedding(cfg["seq_len"], d)
        # Hashed bigram embedding (prev byte, current byte) -> bucket; 0 disables it.
        self.bigram = nn.Embedding(cfg["bigram_buckets"], d) if cfg["bigram_buckets"] > 0 else None
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = RMSNorm(d)
        self.head = nn.Linear(d, V, bias=False)
        if cfg["tie_embeddings"]:
            self.head.weight = self.tok_emb.weight
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg["n_layer"]))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, x):
        B, T = x.shape
        pos = torch.arange(T, device=x.device)
        h = self.tok_emb(x) + self.pos_emb(pos)[None]
        if self.bigram is not None:
            prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)
            h = h + self.bigram((prev * 257 + x) % self.cfg["bigram_buckets"])
        h = F.dropout(h, self.cfg["dropout"], self.training)
        for blk in self.blocks:
            h = blk(h)
        logits = self.head(self.ln_f(h))
        cap = self.cfg["logit_softcap"]
        if cap and cap > 0:
            logits = cap * torch.tanh(logits / cap)
        return logits


def build_model(config: dict) -> nn.Module:
    cfg = dict(DEFAULTS)
    cfg.update(config or {})
    if cfg["d_model"] % cfg["n_head"] != 0:
        raise ValueError(f"d_model={cfg['d_model']} is not divisible by n_head={cfg['n_head']}")
    return GPT(cfg)
