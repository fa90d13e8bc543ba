"""Hand-run benchmarks: each module's ``main()`` returns :class:`bench._common.Result` rows."""
