"""The PyTorch peer of ci/bench-engine and ci/profile-step (a benchmark, not a test): the same models, shapes and
steps as ci/EngineBench.java on Debian's PyTorch 1.13 and torchvision, on the same cores. "train" times training
steps (3 warm-up, then timed; SGD with momentum 0.9, cross-entropy), "infer" the model in eval mode without
gradients. Prints "name img/s" lines.

Usage: python3 ci/engine_torch.py train|infer [MODEL_NAME ...]
"""
import os
import sys
import time

import torch
import torch.nn as nn
import torchvision


def cnn2():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, 10))


def mobilenetv2_s1():
    m = torchvision.models.mobilenet_v2(num_classes=10)
    m.features[0][0] = nn.Conv2d(1, 32, 3, stride=1, padding=1, bias=False)
    return m


def resnet18(stem_stride):
    m = torchvision.models.resnet18(num_classes=10)
    m.conv1 = nn.Conv2d(1, 64, 7, stride=stem_stride, padding=3, bias=False)
    m.maxpool = nn.Identity()
    return m


# name: (model, size, channels, batch, timed steps), as in EngineBench.java
CASES = {
    "cnn2": (cnn2, 28, 1, 128, 20),
    "mobilenetv2-s1": (mobilenetv2_s1, 28, 1, 128, 20),
    "resnet18-s1": (lambda: resnet18(1), 28, 1, 128, 20),
    "resnet18-s2": (lambda: resnet18(2), 28, 1, 128, 20),
    "resnet50-224": (lambda: torchvision.models.resnet50(num_classes=10), 224, 3, 32, 5),
}


def rate(mode, name):
    make, size, channels, batch, steps = CASES[name]
    torch.manual_seed(1)
    model = make()
    x = torch.randn(batch, channels, size, size)
    if mode == "infer":
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    else:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        y = torch.arange(batch) % 10
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("train", "infer"):
        sys.exit("usage: engine_torch.py train|infer [MODEL_NAME ...]")
    names = sys.argv[2:] or list(CASES)
    # Debian's build starts with one OpenMP thread on this VM: use every core the process may run on, as the
    # engine does, unless OMP_NUM_THREADS says otherwise
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(len(os.sched_getaffinity(0)))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)
    for n in names:
        print(f"{n} {rate(mode, n):.1f}", flush=True)
