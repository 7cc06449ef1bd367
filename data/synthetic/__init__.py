"""The synthetic district: a generated bundle plus its hidden truth, and the shipped sample."""
