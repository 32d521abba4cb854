"""Proto-functions: the wasm binary format, the module rewrites and the snapshot loader."""
