"""Small airbench-style CNN for bench-mini (Fashion-MNIST, 28x28 grayscale, 10 classes).

build_model(config) -> nn.Module; forward(x: FloatTensor[B, 1, 28, 28]) -> logits [B, 10].
Input x is the raw image scaled to [0, 1] (uint8 / 255); normalisation happens inside the
model, so the evaluator needs nothing but this file, config.json and the state_dict.
The model runner (evaluator/model_runner.py, in the trial sandbox) imports this file from a fresh
checkout, builds each seed's model from its config.json and loads its model.pt; the scorer
sends it test images and computes accuracy itself. The model may
depend only on its config and its parameters/buffers (no file, network or env access).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULTS = {
    "width": 16,          # channels of the first block; each later block doubles it
    "depth": 2,           # conv blocks, each: conv, maxpool 2, bn-relu, conv-bn-relu
    "head_scale": 0.125,  # logits are multiplied by this (airbench's scaled head)
    "mean": 0.2860,       # Fashion-MNIST train pixel mean / std (of uint8 / 255)
    "std": 0.3530,
}


class ConvBN(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout, momentum=0.2)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Block(nn.Module):
    """airbench block: conv, maxpool 2 (before BN: 4x cheaper), bn, relu, then conv-bn-relu."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.2)
        self.c2 = ConvBN(cout, cout)

    def forward(self, x):
        x = F.relu(self.bn1(F.max_pool2d(self.conv1(x), 2)))
        return self.c2(x)


class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        w, d = int(cfg["width"]), int(cfg["depth"])
        self.mean, self.std, self.scale = float(cfg["mean"]), float(cfg["std"]), float(cfg["head_scale"])
        # patchify stem: 2x2 conv, stride 2 -> 14x14 (airbench's 2x2 "whitening" conv, strided)
        self.stem = nn.Conv2d(1, w, 2, stride=2, bias=False)
        self.stem_bn = nn.BatchNorm2d(w, momentum=0.2)
        blocks, c = [], w
        for i in range(d):
            blocks.append(Block(c, w * 2 ** i))
            c = w * 2 ** i
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c, 10, bias=False)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.blocks(x)
        x = torch.amax(x, dim=(2, 3))
        return self.head(x) * self.scale


def build_model(config):
    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in (config or {}).items() if k in DEFAULTS})
    return Net(cfg)
