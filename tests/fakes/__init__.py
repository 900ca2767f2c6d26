"""In-process fakes of the shops the adapters talk to (tests, benchmarks, fault injection)."""
