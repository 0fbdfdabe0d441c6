"""LSP features, one module per concern; imported on first use."""
