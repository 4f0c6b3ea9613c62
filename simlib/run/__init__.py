"""Running experiments: replications, local and Dask executors, checkpoints, options, the run's budget, exit codes."""
