"""Storage: the contract the CLI, the services and the screens rely on, and its adapters (see `contract`)."""
