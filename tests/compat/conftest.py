"""The copies under tests/compat/ are separate plugin packages with their own tests; the
suite runs those tests in a child pytest (test_compat.py), never by collecting them here."""
collect_ignore_glob = ["*_0_1"]
