"""Side-by-side benchmarks of txkv clients against peer clients; see benchmarks/README.md."""
