//! Parser benchmarks land with the parser.
fn main() {}
