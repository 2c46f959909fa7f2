"""Shaping rewards: format, language consistency, length, repetition, and combinators."""
