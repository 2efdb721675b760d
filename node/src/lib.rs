//! A Rust node of an Erlang cluster: processes, connections and the OTP services peers expect.
//! Not written yet: see the open issues.
