//! EPMD, the Erlang Port Mapper Daemon: the request/reply codec (no I/O), the daemon that serves
//! it compatibly with OTP's `epmd`, and an async client for nodes and tools.
