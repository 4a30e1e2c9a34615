"""Benchmarks and data generators (`bench.generate_export`, `bench.check_export`, ...)."""
