"""The original study's network code, verbatim in substance (../shared/seed/original-study.md),
kept only so tests can compare bnorder's networks with what the study actually trained."""

import torch
import torch.nn as nn


class Case1Block(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.conv, self.bn, self.relu = nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Case2Block(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.conv, self.relu, self.bn = nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(o)

    def forward(self, x):
        return self.bn(self.relu(self.conv(x)))


class Case3Block(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.conv, self.act, self.bn = nn.Conv2d(i, o, 3, padding=1), nn.LeakyReLU(), nn.BatchNorm2d(o)

    def forward(self, x):
        return self.bn(self.act(self.conv(x)))


class CNNNetwork(nn.Module):
    def __init__(self, block_type="case1", num_blocks=8):
        super().__init__()
        block = {"case1": Case1Block, "case2": Case2Block}.get(block_type, Case3Block)
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, padding=1)
        self.blocks = nn.Sequential(*[block(64, 64) for _ in range(num_blocks)])
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.conv1(x))), 1))


class MLPNetwork(nn.Module):
    def __init__(self, block_type):
        super().__init__()
        self.flatten = nn.Flatten()
        if block_type == "case1":
            act1 = nn.Sequential(nn.Linear(3 * 32 * 32, 512), nn.BatchNorm1d(512), nn.ReLU())
        elif block_type == "case2":
            act1 = nn.Sequential(nn.Linear(3 * 32 * 32, 512), nn.ReLU(), nn.BatchNorm1d(512))
        else:
            act1 = nn.Sequential(nn.Linear(3 * 32 * 32, 512), nn.LeakyReLU(), nn.BatchNorm1d(512))
        self.mlp = nn.Sequential(act1, nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                 nn.Linear(128, 10))

    def forward(self, x):
        return self.mlp(self.flatten(x))
