"""Readers that turn search-result files into RecordIn lists (text in, records out)."""
