//! Harness for the interop tests: starts real `epmd`, `erl` and our binaries on private ports in
//! private temp directories, and stops them by pid when the test ends, pass or fail.
