"""Running the chain on draws: in memory, in chunks, on threads or dask."""
