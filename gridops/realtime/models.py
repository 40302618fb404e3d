"""Models of the realtime app."""
