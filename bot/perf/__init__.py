"""Performance overviews from the spans dataset."""
