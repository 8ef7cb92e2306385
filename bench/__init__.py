"""Province-scale benchmarks (``make bench``); not part of the test run."""
