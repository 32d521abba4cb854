"""Key/value state: the store the runtime talks to, its disk backend, locks and shared pages."""
