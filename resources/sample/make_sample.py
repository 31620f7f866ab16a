"""Makes the sample the desktop application opens on first run: a real nn.DataParallel state dict.

The network mirrors torchvision's resnet18 key for key (122 keys, BasicBlock [2, 2, 2, 2]) at one eighth of the
width, so the file stays under 1 MB while every key carries the `module.` prefix a DataParallel save adds. The
matching architecture (what the unwrapped net's state_dict() holds) is written next to it as a JSON key list,
because the full-width builtin:resnet18 would report shape mismatches on top of the prefix.

Run with the interpreter that has torch: /usr/bin/python3 resources/sample/make_sample.py
"""
import collections
import json
import os

import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class TinyResNet(nn.Module):
    """resnet18's layout with widths 8/16/32/64 and a 10-class head."""

    def __init__(self, widths=(8, 16, 32, 64), num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = widths[0]
        for i, planes in enumerate(widths):
            stride = 1 if i == 0 else 2
            layer = nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes))
            setattr(self, "layer%d" % (i + 1), layer)
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(4):
            x = getattr(self, "layer%d" % (i + 1))(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    torch.manual_seed(0)
    net = TinyResNet()
    # A few real forward passes in training mode so BatchNorm running statistics are not the defaults.
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(4, 3, 64, 64))
    wrapped = nn.DataParallel(net)
    torch.save(wrapped.state_dict(), os.path.join(here, "tinyresnet_dataparallel.pth"))
    keys = collections.OrderedDict()
    for key, tensor in net.state_dict().items():
        keys[key] = {"shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", "")}
    with open(os.path.join(here, "tinyresnet_arch.json"), "w") as f:
        json.dump({"keys": keys}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
