"""Bit-exact snapshot and in-place restore of model, optimizer, scaler and RNG state.

The snapshot lives on the host (or in a temporary file), never on the
accelerator: torch-lr-finder's in-memory cache deep-copies the state on the same
device and doubles GPU memory. Restore copies values back *into the existing
tensors* (``copy_``), so parameter, buffer, optimizer-state and tensor-LR objects
keep their identity: compiled graphs, CUDA graphs and fused/capturable
optimizers that hold references to them stay valid, and no second device copy is
ever allocated.
"""
from __future__ import annotations

import copy
import os
import random
import tempfile
from typing import Any

import numpy as np
import torch

__all__ = ["Snapshot"]


def _host(value: Any) -> Any:
    """A host-side deep copy: tensors cloned to CPU, containers copied."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, tuple):
        return tuple(_host(v) for v in value)
    if isinstance(value, list):
        return [_host(v) for v in value]
    if isinstance(value, dict):
        return {k: _host(v) for k, v in value.items()}
    return copy.deepcopy(value)


def _put_back(current: Any, saved: Any) -> Any:
    """Restore ``saved`` into ``current`` in place where both are same-shaped tensors.

    Returns the object to store (``current`` when restored in place).
    """
    if isinstance(current, torch.Tensor) and isinstance(saved, torch.Tensor):
        if current.shape == saved.shape and current.dtype == saved.dtype:
            with torch.no_grad():
                current.copy_(saved)
            return current
        return saved.to(current.device)
    if isinstance(saved, torch.Tensor):
        return saved.clone()
    if isinstance(current, (tuple, list)) and isinstance(saved, (tuple, list)) and len(current) == len(saved):
        items = [_put_back(c, s) for c, s in zip(current, saved)]
        return type(saved)(items)
    return copy.deepcopy(saved)


class Snapshot:
    """State of a training setup, taken on the host, restorable to the bit.

    The model's state is its ``state_dict()`` plus what that leaves out: the
    non-persistent buffers (``register_buffer(..., persistent=False)``), and the
    buffer objects themselves, put back where a forward reassigned them.

    Parameters
    ----------
    model : torch.nn.Module
    optimizer : torch.optim.Optimizer
    scaler : torch.amp.GradScaler or None
    to_disk : bool
        Keep the model and optimizer tensors in a temporary file instead of host RAM.
    """

    def __init__(self, model, optimizer, scaler=None, *, to_disk: bool = False):
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler
        self._path = None
        # modules' train/eval flags: the test switches to train mode
        self.modes = [(m, m.training) for m in model.modules()]
        tensors = {
            "model": {k: v.detach() for k, v in model.state_dict(keep_vars=True).items()},
            "buffers": {},
            "grads": {},
            "opt_state": {},
        }
        # Every buffer slot with the tensor object in it: a forward that reassigns a buffer
        # (``self.n = self.n + 1``) gets the original object back, so references to it
        # (compiled graphs) stay valid. Non-persistent buffers are not in state_dict(),
        # so their values are kept here as well.
        self.buffer_slots = [(module, dict(module._buffers)) for module in model.modules()]
        for i, (module, slots) in enumerate(self.buffer_slots):
            for name, buf in slots.items():
                if buf is not None and name in module._non_persistent_buffers_set:
                    tensors["buffers"][f"{i}.{name}"] = buf.detach()
        self.params = [p for p in model.parameters()]
        opt_params = [p for g in optimizer.param_groups for p in g["params"]]
        self.all_params = list({id(p): p for p in self.params + opt_params}.values())
        for i, p in enumerate(self.all_params):
            if p.grad is not None:
                tensors["grads"][i] = p.grad.detach()
            st = optimizer.state.get(p)
            if st:
                tensors["opt_state"][i] = dict(st)
        # where each optimizer-state tensor lived, for state that the test deletes outright
        self.opt_devices = {
            i: {k: v.device for k, v in st.items() if isinstance(v, torch.Tensor)} for i, st in tensors["opt_state"].items()
        }
        # group hyperparameters (lr, momentum, betas, initial_lr ...), minus the params list
        self.groups = [{k: _host(v) for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        self.group_keys = [set(g) for g in optimizer.param_groups]
        self.opt_param_groups_list = optimizer.param_groups
        self.scaler_state = _host(scaler.state_dict()) if scaler is not None and scaler.is_enabled() else None
        self.rng: dict[str, Any] = {
            "python": random.getstate(),
            "numpy": np.random.get_state(),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None,
        }
        if to_disk:
            fd, self._path = tempfile.mkstemp(prefix="pyclr-range-test-", suffix=".pt")
            os.close(fd)
            # torch.save copies device storages to the host one at a time
            torch.save(tensors, self._path)
            self.tensors = None
        else:
            self.tensors = _host(tensors)

    def restore(self, rng: bool = True) -> None:
        """Put everything back in place; the snapshot stays valid (restore twice is fine).

        ``rng=False`` leaves the random number generators where they are (the model,
        optimizer and scaler are restored all the same): repeated sweeps from one
        starting state then draw new batches, dropout masks and augmentations.
        """
        if self.tensors is None:
            assert self._path is not None  # for type checkers: to_disk snapshots keep their file until close()
            tensors = torch.load(self._path, map_location="cpu", weights_only=True)
        else:
            tensors = self.tensors
        model, optimizer = self.model, self.optimizer
        for module, slots in self.buffer_slots:
            if module._buffers.keys() != slots.keys() or any(module._buffers[k] is not v for k, v in slots.items()):
                module._buffers.clear()  # keeps the registration order as it was
                module._buffers.update(slots)
        with torch.no_grad():
            for i, (module, slots) in enumerate(self.buffer_slots):
                for name, buf in slots.items():
                    saved = tensors["buffers"].get(f"{i}.{name}")
                    if saved is not None:
                        buf.detach().copy_(saved)  # same object as before: same shape and dtype
            current = model.state_dict(keep_vars=True)
            for key, saved in tensors["model"].items():
                cur = current[key]
                if cur.shape == saved.shape and cur.dtype == saved.dtype:
                    cur.detach().copy_(saved)
                else:  # pragma: no cover - the test never reshapes the model
                    model.load_state_dict({key: saved}, strict=False)
        for i, p in enumerate(self.all_params):
            saved = tensors["grads"].get(i)
            if saved is None:
                p.grad = None
            elif p.grad is not None and p.grad.shape == saved.shape and p.grad.dtype == saved.dtype:
                with torch.no_grad():
                    p.grad.copy_(saved)
            else:
                p.grad = saved.to(p.device)
        state = optimizer.state
        for i, p in enumerate(self.all_params):
            saved = tensors["opt_state"].get(i)
            if saved is None:
                # state created during the test (e.g. a fresh Adam's moments): drop it
                if p in state:
                    del state[p]
                continue
            cur = state.get(p)
            if cur is None:
                devices = self.opt_devices.get(i, {})
                state[p] = {
                    k: (v.to(devices.get(k, p.device), copy=True) if isinstance(v, torch.Tensor) else copy.deepcopy(v))
                    for k, v in saved.items()
                }
                continue
            for k in list(cur):
                if k not in saved:
                    del cur[k]
            for k, v in saved.items():
                cur[k] = _put_back(cur.get(k), v)
        if optimizer.param_groups is not self.opt_param_groups_list:  # pragma: no cover - load_state_dict inside
            optimizer.param_groups[:] = self.opt_param_groups_list
        for group, saved, keys in zip(optimizer.param_groups, self.groups, self.group_keys):
            for k in list(group):
                if k != "params" and k not in keys:
                    del group[k]  # e.g. 'initial_lr' left behind by a scheduler
            for k, v in saved.items():
                group[k] = _put_back(group.get(k), v)
        if self.scaler is not None and self.scaler_state is not None:
            self.scaler.load_state_dict(copy.deepcopy(self.scaler_state))
            # a failure between unscale_() and update() leaves per-optimizer flags behind
            if hasattr(self.scaler, "_per_optimizer_states"):
                self.scaler._per_optimizer_states.clear()
        for module, training in self.modes:
            module.training = training
        if not rng:
            return
        random.setstate(self.rng["python"])
        np.random.set_state(self.rng["numpy"])
        torch.set_rng_state(self.rng["torch"])
        if self.rng["cuda"] is not None:
            torch.cuda.set_rng_state_all(self.rng["cuda"])

    def close(self) -> None:
        if self._path is not None:
            try:
                os.unlink(self._path)
            except OSError:  # pragma: no cover
                pass
            self._path = None
