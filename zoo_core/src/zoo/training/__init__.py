"""The one trainer that drives every family from its recipe (losses, n_critic, lr, EMA, regularisers)."""
