"""Property-based fuzzing: malformed responses, bad inputs and hostile callbacks."""
