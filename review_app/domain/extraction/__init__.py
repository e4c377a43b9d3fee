"""Data extraction, pure: the plain copy of a study's extraction, result formats and their
conversions, the characteristics form's checks, and the comparison of two extractors' copies."""
