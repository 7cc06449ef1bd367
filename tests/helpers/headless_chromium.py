"""Flags for running Chromium headless in tests, shared by the report and web browser tests."""

#: Headless, no sandbox or GPU, and nothing that reaches the network on its own.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
