"""One "node" of tests/e2e/test_torch_ddp.sh, run inside the image.

  ddp_train.py rank RANK PORT OUT.json   one rank of a world of 2: torch.distributed over gloo,
                                         init_method tcp://127.0.0.1:PORT, DistributedDataParallel
  ddp_train.py reference OUT.json        the same training in one process on the whole batch

Each rank starts from its own random initialisation (DDP must broadcast rank 0's), trains on its
half of a deterministic synthetic batch; DDP averages the gradients, so both ranks end with
the parameters the one-process run reaches on the whole batch. OUT.json: the environment
fingerprint (sha256 of `sha256sum` over conda-meta/*, sorted), the final parameters (exact
float32 values and the sha256 of their bytes), the losses.
"""
import datetime
import hashlib
import json
import os
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

STEPS = 20
WORLD = 2


def fingerprint():
    d = os.path.join(os.environ["CONDA_PREFIX"], "conda-meta")
    lines = ""
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            lines += "%s  %s\n" % (hashlib.sha256(f.read()).hexdigest(), n)
    return hashlib.sha256(lines.encode()).hexdigest()


def model_for(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4))


def data():
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(256, 16, generator=g)
    w = torch.randn(16, 4, generator=g)
    return x, torch.sin(x @ w)


def params_of(model):
    return [p.detach().clone() for p in model.parameters()]


def digest(params):
    return hashlib.sha256(b"".join(p.numpy().tobytes() for p in params)).hexdigest()


def train(module, params, x, y):
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(module(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main(argv):
    torch.set_num_threads(1)
    x, y = data()
    out = {"fingerprint": fingerprint(), "torch": torch.__version__}
    if argv[1] == "reference":
        model = model_for(0)
        out["initial_sha256"] = digest(params_of(model))
        out["losses"] = train(model, model.parameters(), x, y)
        path = argv[2]
    else:
        rank, port, path = int(argv[2]), int(argv[3]), argv[4]
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank,
                                world_size=WORLD, timeout=datetime.timedelta(seconds=120))
        model = model_for(rank)  # different on each rank until DDP broadcasts rank 0's
        out["own_initial_sha256"] = digest(params_of(model))
        ddp = DistributedDataParallel(model)
        out["initial_sha256"] = digest(params_of(model))
        out["losses"] = train(ddp, ddp.parameters(), x[rank::WORLD], y[rank::WORLD])
        out.update(rank=rank, world_size=dist.get_world_size(), backend=dist.get_backend())
        dist.destroy_process_group()
        if os.environ.get("IMGBUILD_TEST_BREAK_PARAMS"):  # the test's own negative check
            with torch.no_grad():
                next(model.parameters()).view(-1)[0] += 1e-3
    final = params_of(model)
    out["final_sha256"] = digest(final)
    out["final"] = [p.reshape(-1).tolist() for p in final]
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
