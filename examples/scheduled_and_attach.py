"""ScheduledLR versus attach() in a plain loop with AMP-style skipped steps and accumulation.

Run: python examples/scheduled_and_attach.py
"""
import torch

import pyclr
from pyclr.torch import ScheduledLR, attach

torch.manual_seed(0)
model = torch.nn.Linear(16, 1)
x, y = torch.randn(512, 16), torch.randn(512, 1)
schedule = pyclr.cyclic(1e-3, 1e-1, step_size_up=20, mode="triangular2")

# 1. the torch way: optimizer.step(); scheduler.step()
opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
sched = ScheduledLR(opt, schedule, momentum=False)
for i in range(0, 512, 32):
    opt.zero_grad()
    torch.nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32]).backward()
    opt.step()
    sched.step()
torch.save(sched.state_dict(), "/tmp/pyclr_sched.pt")  # spec + step; torch.load(..., weights_only=True)

# 2. the hook way: the LR of update t is set right before the t-th real optimizer.step()
opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
scaler = torch.amp.GradScaler("cpu")
handle = attach(opt, schedule)
accum = 4
for i, start in enumerate(range(0, 512, 8)):
    loss = torch.nn.functional.mse_loss(model(x[start:start + 8]), y[start:start + 8]) / accum
    scaler.scale(loss).backward()
    if (i + 1) % accum == 0:
        scaler.step(opt)  # a skipped step does not call opt.step(): the schedule does not advance
        scaler.update()
        opt.zero_grad()
print("updates:", handle.step, "LR of the last update:", handle.last_lr())
handle.remove()
