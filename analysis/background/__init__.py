"""Background: one module per artifact."""
