"""Attribution computations that SQL states poorly: the data-driven (Markov) model's removal effects."""
