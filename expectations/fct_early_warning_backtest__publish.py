"""Publish gate for `fct_early_warning_backtest`: true positives within their lists and the churned, the same-size
baseline as long as the list (unless the base is smaller), lists within the base; ranges declared on the columns.
"""

from orchestration.lib.gx_runner import at_least

KEY_METRICS = {
    "periods": "count(*)",
    "listed": "sum(list_size)",
}

CHECKS = [
    at_least("list_size", "list_true_positive_count"),
    at_least("churned_within_horizon_count", "list_true_positive_count"),
    at_least("baseline_list_size", "baseline_true_positive_count"),
    at_least("churned_within_horizon_count", "baseline_true_positive_count"),
    at_least("naive_list_size", "naive_true_positive_count"),
    at_least("churned_within_horizon_count", "naive_true_positive_count"),
    at_least("base_partners_count", "list_size"),
    at_least("base_partners_count", "already_churned_count"),
    at_least("base_partners_count", "naive_list_size"),
    at_least("list_size", "baseline_list_size"),
    at_least("baseline_list_size", "list_size"),
]
