"""The session: ``rvae serve`` put together (the daemon), the saved performance state, live retraining."""
