"""The matching benchmark runs end to end on a tiny instance (timings are not checked here)."""
from bench.matching import measure, table


def test_the_small_benchmark_returns_both_scenarios():
    results = measure(small=True)
    assert [r.scenario.split()[0] for r in results] == ["7a", "7b"]
    assert all(r.figure > 0 and r.floor and r.floor > 0 for r in results)
    assert "最优总分" in results[1].note
    assert "7b 最优匹配" in table(results)
