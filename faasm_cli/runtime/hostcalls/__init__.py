"""Host calls: the one table of the Faasm host interface, its handlers and the linker."""
