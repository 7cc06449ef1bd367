"""Inspection codes: keys, filing (备案), bindings, verification and the enterprise's rating."""
