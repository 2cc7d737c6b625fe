"""The operations command (`uv run ops --help`)."""
