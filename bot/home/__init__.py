"""App Home: the personal dashboard a user sees in the Home tab."""
