"""The `greenlist` command: the CLI, the worker, the demo seed and the benchmark."""
