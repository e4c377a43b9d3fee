"""Screening rules that need no database: which words of a record to highlight."""
