"""What grading reads and writes: its tables, the stored grades and the learned risk models."""
