"""Hugging Face ``Trainer`` with a pyclr schedule (needs ``pip install transformers datasets``).

Not run by the test suite (transformers is not a test dependency); kept correct against
the transformers 4.x/5.x ``Trainer`` API.

``Trainer(optimizers=(optimizer, scheduler))`` takes a ready-made optimizer and any
``torch.optim.lr_scheduler.LRScheduler``; the Trainer calls ``scheduler.step()`` once
per optimizer update (after gradient accumulation, and not on steps the AMP scaler
skipped when it can tell), and saves ``scheduler.state_dict()`` in each checkpoint and
restores it on ``resume_from_checkpoint`` -- ScheduledLR's state is plain data (spec +
step) that loads under ``torch.load(weights_only=True)``.

The number of optimizer updates is
``ceil(len(train_dataset) / (per_device_batch * world_size)) // grad_accum * epochs``
(what Trainer computes as ``max_steps``); pass it as ``num_steps`` so a one-cycle
schedule shorter than the run is refused up front.
"""
import math

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments

import pyclr
from pyclr.torch import ScheduledLR


def main():
    from datasets import load_dataset

    name = "distilbert-base-uncased"
    tok = AutoTokenizer.from_pretrained(name)
    ds = load_dataset("imdb")
    ds = ds.map(lambda b: tok(b["text"], truncation=True, max_length=256), batched=True)
    model = AutoModelForSequenceClassification.from_pretrained(name, num_labels=2)

    args = TrainingArguments(
        output_dir="out-pyclr", per_device_train_batch_size=16, gradient_accumulation_steps=2,
        num_train_epochs=2, logging_steps=50, save_steps=500, report_to=[],
    )
    world = max(1, args.world_size)
    updates_per_epoch = max(1, math.ceil(len(ds["train"]) / (args.per_device_train_batch_size * world))
                            // args.gradient_accumulation_steps)
    total = int(updates_per_epoch * args.num_train_epochs)

    # AdamW with a one-cycle schedule; betas[0] cycles 0.95 -> 0.85 -> 0.95 only because we ask for it
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)],
         "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=5e-5)
    schedule = pyclr.one_cycle(5e-5, total, pct_start=0.1)
    sched = ScheduledLR(opt, schedule, momentum=True, num_steps=total)

    trainer = Trainer(model=model, args=args, train_dataset=ds["train"], eval_dataset=ds["test"],
                      processing_class=tok, optimizers=(opt, sched))  # tokenizer= before 4.46
    trainer.train()  # resume: trainer.train(resume_from_checkpoint=True) continues the same LR sequence
    print("LR of the last update:", sched.get_last_lr(), "planned:", np.asarray(schedule.values(total))[-1])


if __name__ == "__main__":
    main()
