"""Train the zoo-cifar10-resnet feature extractor on the CIFAR-10 train split (CPU-friendly).

    python -m zoo.metrics.train_resnet --data cifar10_jpeg.npz --out runs/cifar10-resnet --epochs 10

SGD with Nesterov momentum, a one-cycle learning rate (Smith & Topin 2017), label smoothing,
random crops and flips, bf16 autocast on CPU. Checkpoints are written atomically every epoch and
``--resume`` continues from the last one. The exported weights are fp16 safetensors whose
metadata carries the test accuracy, the data's sha256 and this command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from zoo.data import load_images
from zoo.metrics.resnet import CifarResNet
from zoo.weights import load_tensors, sha256_file


def _to_tensor(images) -> torch.Tensor:
    """(N, H, W, 3) uint8 numpy -> (N, 3, H, W) uint8 tensor."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random 32x32 crops of the 4-pixel reflect-padded batch, and random horizontal flips."""
    n = len(batch)
    padded = F.pad(batch, (4, 4, 4, 4), mode="reflect")
    dx, dy = torch.randint(0, 9, (2, n), generator=generator)
    rows = (dy[:, None] + torch.arange(32))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(32))[:, None, None, :]
    out = padded[torch.arange(n)[:, None, None, None], torch.arange(3)[None, :, None, None], rows, cols]
    flip = torch.rand(n, generator=generator) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


@torch.no_grad()
def accuracy(model: CifarResNet, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    """Top-1 accuracy on uint8 images."""
    model.eval()
    correct = 0
    for start in range(0, len(images), batch):
        x = images[start : start + batch].float() / 255
        with torch.autocast("cpu", dtype=torch.bfloat16):
            correct += int(
                (
                    model(x.contiguous(memory_format=torch.channels_last)).argmax(1) == labels[start : start + batch]
                ).sum()
            )
    return correct / len(images)


def _save(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> None:
    """Atomic safetensors write (the zoo's one writer: the same bytes for the same weights)."""
    from zoo.weights import write_safetensors

    write_safetensors(path, tensors, meta)


def train(args: argparse.Namespace) -> float:
    """Train (or resume), export fp16 weights, return the test accuracy."""
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train_x, train_y = load_images(args.data, "train")
    test_x, test_y = load_images(args.data, "test")
    train_x, test_x = _to_tensor(train_x), _to_tensor(test_x)
    train_y, test_y = torch.from_numpy(train_y).long(), torch.from_numpy(test_y).long()
    model = CifarResNet().to(memory_format=torch.channels_last)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0}],
        lr=args.lr, momentum=0.9, nesterov=True,
    )  # fmt: skip
    steps_per_epoch = len(train_x) // args.batch_size
    total = steps_per_epoch * args.epochs
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=total, pct_start=0.25)
    checkpoint, epoch = out / "checkpoint.safetensors", 0
    if args.resume and checkpoint.is_file():
        state = load_tensors(checkpoint)
        model.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("model.")})
        for index, param in enumerate(decay + no_decay):
            if f"momentum.{index}" in state:
                optimizer.state[param]["momentum_buffer"] = state[f"momentum.{index}"]
        epoch = int(state["epoch"])
        for _ in range(epoch * steps_per_epoch):
            schedule.step()
    log = open(out / "log.jsonl", "a")
    while epoch < args.epochs:
        generator = torch.Generator().manual_seed(args.seed * 1000 + epoch)  # per epoch, so resuming is exact
        model.train()
        start, seen, loss_sum = time.time(), 0, 0.0
        order = torch.randperm(len(train_x), generator=generator)
        for step in range(steps_per_epoch):
            index = order[step * args.batch_size : (step + 1) * args.batch_size]
            x = augment(train_x[index], generator).float().div_(255).contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x), train_y[index], label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            seen, loss_sum = seen + len(index), loss_sum + float(loss.detach())
            if step % 20 == 0:
                print(f"epoch {epoch} step {step}/{steps_per_epoch} loss {loss_sum / (step + 1):.3f} "
                      f"{seen / (time.time() - start):.0f} img/s", flush=True)  # fmt: skip
        epoch += 1
        test_acc = accuracy(model, test_x, test_y)
        record = {
            "epoch": epoch,
            "loss": loss_sum / steps_per_epoch,
            "test_acc": test_acc,
            "seconds": time.time() - start,
        }
        print(json.dumps(record), flush=True)
        log.write(json.dumps(record) + "\n")
        log.flush()
        momentum = {
            f"momentum.{i}": optimizer.state[p]["momentum_buffer"]
            for i, p in enumerate(decay + no_decay)
            if p in optimizer.state
        }
        state = {f"model.{k}": v for k, v in model.state_dict().items()}
        _save(checkpoint, {**state, **momentum, "epoch": torch.tensor(epoch)}, {"epochs": str(args.epochs)})
    test_acc = accuracy(model, test_x, test_y)
    export = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    command = "python -m zoo.metrics.train_resnet " + shlex.join(sys.argv[1:])
    meta = {"zoo.test_accuracy": f"{test_acc:.4f}", "zoo.data_sha256": sha256_file(args.data),
            "zoo.train_command": command, "zoo.epochs": str(args.epochs)}  # fmt: skip
    _save(out / "zoo-cifar10-resnet.safetensors", export, meta)
    print(json.dumps({"final_test_acc": test_acc, "exported": str(out / "zoo-cifar10-resnet.safetensors")}), flush=True)
    return test_acc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="CIFAR-10 npz with train_*/test_* JPEG arrays")
    parser.add_argument("--out", required=True, help="run directory (checkpoint, log, exported weights)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    train(args)


if __name__ == "__main__":
    main()
