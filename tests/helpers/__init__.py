"""Shared builders and small worlds for the tests (importable as ``helpers``)."""
