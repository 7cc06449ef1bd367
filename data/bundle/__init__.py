"""Input bundles (spec §1): their shape, reading, validation and import; the inbox."""
