"""Contract tests: behaviour the pipeline relies on, pinned against a stand-in and a real system."""
