"""Split settings: base (shared, from the environment), local, test, production."""
