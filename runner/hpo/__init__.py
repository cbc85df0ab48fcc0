"""Hyperparameter search on Optuna: every search method of the Neural DSL HPO guide, pruning,
parallel and multi-machine studies, population-based training, and analysis.

    from runner.hpo import HPOptimizer, optimize_and_return, generate_optimized_dsl
"""

from runner.hpo.api import HPOptimizer, generate_optimized_dsl, optimize_and_return
from runner.hpo.config import SearchConfig
from runner.hpo.engine import NoTrialSucceeded, Search, SearchResult
from runner.hpo.executors import CloudExecutor, DistributedExecutor, Executor, LocalExecutor
from runner.hpo.search_space import ALIASES, SearchDim, SearchSpaceError
from runner.hpo.strategies import (
    STRATEGIES,
    BaseStrategy,
    BayesianStrategy,
    EvolutionaryStrategy,
    GridStrategy,
    PBTStrategy,
    RandomStrategy,
    TPEStrategy,
    make_strategy,
)

__all__ = [
    "ALIASES", "STRATEGIES", "CloudExecutor", "DistributedExecutor", "Executor", "LocalExecutor", "BaseStrategy", "BayesianStrategy", "EvolutionaryStrategy", "GridStrategy",
    "HPOptimizer", "NoTrialSucceeded", "PBTStrategy", "RandomStrategy", "Search", "SearchConfig", "SearchDim", "SearchResult",
    "SearchSpaceError", "TPEStrategy", "generate_optimized_dsl", "make_strategy", "optimize_and_return",
]
