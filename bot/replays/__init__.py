"""Session replays of an issue."""
