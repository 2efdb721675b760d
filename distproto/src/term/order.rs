//! Erlang's term order and exact equality for the term model.
//! numbers < atoms < refs < funs < ports < pids < tuples < maps < nil < lists < bitstrings.
