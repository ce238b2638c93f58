"""Running the service: replica groups with shared limits and metrics."""
