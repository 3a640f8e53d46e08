"""Skills pages, split by area: the matrix, a skill's overview, the catalogue and level
scale, self-reviews, "My skills" and the inventory upload."""
