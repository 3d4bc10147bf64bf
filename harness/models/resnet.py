"""ResNets from one class: CIFAR-style (depth 6n+2, 3 stages, 3×3 stem) and ImageNet-style
(depth 18/34/50/101/152, 4 stages, 7×7 stem + max-pool), both scaled by a base `width`.

The standard ImageNet ResNets (width 64, RGB) are torchvision's `resnet18…152`; this class
builds the same layouts at other widths and the CIFAR layout the mini scale trains. Every conv
is followed by BatchNorm, which makes it a "normalized" layer.
"""

from __future__ import annotations

from torch import nn

IMAGENET_LAYOUTS = {  # depth -> (block, blocks per stage)
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, c_in: int, width: int, stride: int):
        super().__init__()
        c_out = width * self.expansion
        self.body = self.make_body(c_in, width, stride)
        self.shortcut = (conv_bn(c_in, c_out, 1, stride) if stride != 1 or c_in != c_out
                         else nn.Identity())
        self.relu = nn.ReLU(inplace=True)

    @staticmethod
    def make_body(c_in: int, width: int, stride: int) -> nn.Sequential:
        return nn.Sequential(conv_bn(c_in, width, 3, stride), nn.ReLU(inplace=True),
                             conv_bn(width, width, 3))

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


class Bottleneck(BasicBlock):
    expansion = 4

    @staticmethod
    def make_body(c_in: int, width: int, stride: int) -> nn.Sequential:
        # torchvision's "ResNet v1.5": the stride sits on the 3×3 conv.
        return nn.Sequential(conv_bn(c_in, width, 1), nn.ReLU(inplace=True),
                             conv_bn(width, width, 3, stride), nn.ReLU(inplace=True),
                             conv_bn(width, width * Bottleneck.expansion, 1))


class ResNet(nn.Module):
    def __init__(self, block: type[BasicBlock], stage_depths: tuple[int, ...], width: int,
                 stem: str, in_channels: int = 3, num_classes: int = 10):
        super().__init__()
        if stem == "cifar":
            self.stem = nn.Sequential(conv_bn(in_channels, width, 3), nn.ReLU(inplace=True))
        else:
            self.stem = nn.Sequential(conv_bn(in_channels, width, 7, 2), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
        stages, c_in = [], width
        for i, n_blocks in enumerate(stage_depths):
            stage_width = width * 2**i
            for j in range(n_blocks):
                stages.append(block(c_in, stage_width, 2 if (j == 0 and i > 0) else 1))
                c_in = stage_width * block.expansion
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c_in, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.head(self.pool(self.stages(self.stem(x))).flatten(1))


def resnet(depth: int, width: int, in_channels: int = 3, num_classes: int = 10) -> nn.Module:
    """ResNet by depth: 6n+2 -> CIFAR layout with basic blocks; 18..152 -> ImageNet layout."""
    if depth in IMAGENET_LAYOUTS and width == 64 and in_channels == 3:
        # The standard ImageNet ResNets are torchvision's own (zero-init of the last BN
        # left off, as in torchvision's defaults and Defazio's ResNet-50 recipe).
        import torchvision

        return getattr(torchvision.models, f"resnet{depth}")(num_classes=num_classes)
    if depth in IMAGENET_LAYOUTS:  # other widths / channels: the same layout, scaled
        block, stages = IMAGENET_LAYOUTS[depth]
        return ResNet(Bottleneck if block == "bottleneck" else BasicBlock, stages, width,
                      "imagenet", in_channels, num_classes)
    if depth >= 8 and (depth - 2) % 6 == 0:
        n = (depth - 2) // 6
        return ResNet(BasicBlock, (n, n, n), width, "cifar", in_channels, num_classes)
    raise ValueError(f"resnet depth {depth} is neither 6n+2 (CIFAR layout, e.g. 20, 56) nor one "
                     f"of {sorted(IMAGENET_LAYOUTS)} (ImageNet layout)")
